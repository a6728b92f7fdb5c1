namespace Commerce.Jobs.Storage;

/// <summary>Who claims an entity type's held changes for a target, how many, until when, and whether upserts wait.</summary>
/// <param name="Owner">The claiming host (unique per process).</param>
/// <param name="MaxChanges">The most changes to claim (at least 1).</param>
/// <param name="Now">The claimer's clock: leases that ended before it are free, and skipped changes due by it are claimable.</param>
/// <param name="LeaseUntil">The end of the new leases.</param>
/// <param name="HoldUpserts">Whether upserts are held back (the type is paused): only deletes are claimed.</param>
/// <param name="AfterSequence">Only changes with a larger sequence number (a pass reads forward, never re-reading what it released).</param>
public sealed record EntityChangeClaim(string Owner, int MaxChanges, DateTimeOffset Now, DateTimeOffset LeaseUntil, bool HoldUpserts = false, long AfterSequence = 0);
