namespace Commerce.Jobs.Storage;

/// <summary>
/// The record role of a job store: each record job's inbox (records offered to it, claimed under a lease, settled by
/// outcome) and its failures (the records it skipped or failed permanently, with attempt counts and last errors).
/// </summary>
/// <remarks>
/// Implementations are thread-safe. Job names compare case-insensitively, record ids ordinally; ids come from outside and
/// may hold any text (NUL, lone surrogates, line breaks, any length), which reads back as written.
/// </remarks>
public interface IRecordStore
{
    /// <summary>Appends records to a job's inbox, in order; the store gives each a sequence number.</summary>
    /// <param name="jobName">The record job.</param>
    /// <param name="records">The records (their <see cref="PendingRecord.Sequence"/>, attempts and error are ignored).</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the records are stored durably (one write for the whole list).</returns>
    ValueTask EnqueueRecordsAsync(string jobName, IReadOnlyList<PendingRecord> records, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <see cref="RecordClaim.MaxRecords"/> of a job's pending records after <see cref="RecordClaim.AfterSequence"/>, in
    /// sequence order, that no other owner holds under an unexpired lease; they are leased to <see cref="RecordClaim.Owner"/> until
    /// <see cref="RecordClaim.LeaseUntil"/>. Records that failed permanently are claimed only with <see cref="RecordClaim.IncludeFailed"/>.
    /// </summary>
    /// <param name="jobName">The record job.</param>
    /// <param name="claim">Who claims, how many, and until when.</param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <returns>The claimed records, in sequence order; empty when none is left.</returns>
    ValueTask<IReadOnlyList<PendingRecord>> ClaimRecordsAsync(string jobName, RecordClaim claim, CancellationToken cancellationToken);

    /// <summary>
    /// Settles claimed records: delivered ones are removed; skipped ones are released with one more attempt and their error;
    /// permanently failed ones are kept as failed (for a resubmit) with one more attempt and their error; released ones
    /// (<see cref="RecordStatus.TransientFailure"/>: claimed, never attempted) lose their lease only, keeping their attempts,
    /// error and failed state.
    /// </summary>
    /// <param name="jobName">The record job.</param>
    /// <param name="owner">The owner that claimed them; a skip or failure of a record another owner holds now is ignored.</param>
    /// <param name="completions">The outcomes, by sequence number.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the outcomes are stored (one transaction for the whole list).</returns>
    ValueTask CompleteRecordsAsync(string jobName, string owner, IReadOnlyList<RecordCompletion> completions, CancellationToken cancellationToken);

    /// <summary>Extends the leases an owner holds on a job's records (a host still working on them).</summary>
    /// <param name="jobName">The record job.</param>
    /// <param name="owner">The owner.</param>
    /// <param name="leaseUntil">The new end of the leases.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>How many leases were extended.</returns>
    ValueTask<int> RenewLeasesAsync(string jobName, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>Counts a job's records that are pending (including skipped ones), leased or not.</summary>
    /// <param name="jobName">The record job.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The count.</returns>
    ValueTask<long> CountPendingRecordsAsync(string jobName, CancellationToken cancellationToken);

    /// <summary>Records that records were skipped or failed permanently: their attempt count goes up by one and the error is replaced.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="failures">The records; <see cref="RecordFailure.Attempts"/> is ignored and counted by the store.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the failures are stored (one write for the whole list).</returns>
    ValueTask AddRecordFailuresAsync(string jobName, IReadOnlyList<RecordFailure> failures, CancellationToken cancellationToken);

    /// <summary>Forgets the failures of records that have since been delivered.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="recordIds">The delivered records' ids; ids with no failure are ignored.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the failures are removed.</returns>
    ValueTask RemoveRecordFailuresAsync(string jobName, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken);

    /// <summary>
    /// Gets one page of a job's skipped or failed records, with attempt counts and last errors: at most
    /// <paramref name="limit"/> failures that come after <paramref name="after"/> in the store's order of record ids.
    /// </summary>
    /// <param name="jobName">The job.</param>
    /// <param name="after">
    /// The last record id of the previous page, or <see langword="null"/> for the first page. It need not be stored any more:
    /// the page starts where it would be.
    /// </param>
    /// <param name="limit">The most failures to return (at least 1).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The page, in the store's order; fewer than <paramref name="limit"/> failures only on the last page.</returns>
    /// <remarks>
    /// The order is a total order of record ids that the store keeps by an index, the same on every read, so reading page
    /// after page (each <paramref name="after"/> the last id of the page before) returns every failure stored throughout
    /// exactly once, each read costing one page. The in-memory and SQLite stores order ids ordinally (SQLite: as stored,
    /// by their UTF-8 bytes); the PostgreSQL store by the SHA-256 of the id, as it keys ids of any length.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is less than 1.</exception>
    ValueTask<IReadOnlyList<RecordFailure>> GetRecordFailuresAsync(string jobName, string? after, int limit, CancellationToken cancellationToken);

    /// <summary>Gets the failures among the given records of a job (a run asks about the records it delivered).</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="recordIds">The record ids; ids with no failure are left out of the result, duplicates count once.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The failures of those records, in no particular order.</returns>
    ValueTask<IReadOnlyList<RecordFailure>> FindRecordFailuresAsync(string jobName, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken);
}
