namespace Commerce.Jobs.Storage;

/// <summary>Who claims a job's pending records, how many, and until when.</summary>
/// <param name="Owner">The claiming host (unique per process).</param>
/// <param name="MaxRecords">The most records to claim.</param>
/// <param name="Now">The claimer's clock: leases that ended before it are free.</param>
/// <param name="LeaseUntil">The end of the new leases.</param>
/// <param name="AfterSequence">Only records with a larger sequence number (a run reads forward, never re-reading what it released).</param>
/// <param name="IncludeFailed">Whether records that failed permanently are claimed too (a resubmit).</param>
public sealed record RecordClaim(string Owner, int MaxRecords, DateTimeOffset Now, DateTimeOffset LeaseUntil, long AfterSequence = 0, bool IncludeFailed = false);
