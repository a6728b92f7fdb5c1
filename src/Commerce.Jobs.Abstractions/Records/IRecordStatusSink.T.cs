namespace Commerce.Jobs;

/// <summary>Is told each record's final outcome of a run, to move its status (the cart marks an order Submitted or ExportFailed).</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <remarks>Called once per batch, after its retries, with outcomes <see cref="RecordStatus.Delivered"/>, <see cref="RecordStatus.PermanentFailure"/> or <see cref="RecordStatus.Skipped"/>.</remarks>
public interface IRecordStatusSink<T>
{
    /// <summary>Reports the outcomes of one batch.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="records">The records; valid only until the call returns.</param>
    /// <param name="outcomes">One outcome per record, in the same order.</param>
    /// <param name="cancellationToken">Cancelled when the run stops.</param>
    /// <returns>A task that completes when the statuses are written.</returns>
    ValueTask ReportAsync(string jobName, ReadOnlyMemory<T> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken);
}
