namespace Commerce.Jobs;

/// <summary>
/// Offers records to a record job's inbox (declared with <c>ReadFromInbox()</c>): the records are stored in the job store
/// before the call returns, so a durable store loses none across a crash, and an automatic job is signalled.
/// </summary>
public interface IRecordInbox
{
    /// <summary>Stores records in a job's inbox and signals the job.</summary>
    /// <typeparam name="T">The job's record type.</typeparam>
    /// <param name="jobName">The record job.</param>
    /// <param name="records">The records.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the records are stored.</returns>
    /// <exception cref="ArgumentException">No job has that name, or it is not an inbox record job of <typeparamref name="T"/>.</exception>
    ValueTask OfferAsync<T>(string jobName, IEnumerable<T> records, CancellationToken cancellationToken);
}
