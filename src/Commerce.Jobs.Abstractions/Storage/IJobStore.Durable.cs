namespace Commerce.Jobs;

/// <summary>The durable part of the store: the inbox of record jobs, occurrence claims and checkpoints.</summary>
public partial interface IJobStore
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

    /// <summary>
    /// Claims a scheduled occurrence of a job, so that it runs once across every host sharing the store: succeeds only for
    /// the first claim of an occurrence later than any claimed before for the job. Hosts compare scheduled times, never clocks.
    /// </summary>
    /// <param name="jobName">The job.</param>
    /// <param name="scheduledTime">The occurrence's scheduled time.</param>
    /// <param name="owner">The claiming host.</param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <returns><see langword="true"/> when this call claimed it.</returns>
    ValueTask<bool> TryClaimOccurrenceAsync(string jobName, DateTimeOffset scheduledTime, string owner, CancellationToken cancellationToken);

    /// <summary>Gets a job's checkpoint (for example the last exported order date).</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The checkpoint, or <see langword="null"/> when none was set.</returns>
    ValueTask<string?> GetCheckpointAsync(string jobName, CancellationToken cancellationToken);

    /// <summary>Sets or clears a job's checkpoint.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="checkpoint">The checkpoint; <see langword="null"/> clears it.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the checkpoint is stored.</returns>
    ValueTask SetCheckpointAsync(string jobName, string? checkpoint, CancellationToken cancellationToken);
}
