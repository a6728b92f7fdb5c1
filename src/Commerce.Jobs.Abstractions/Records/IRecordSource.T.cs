namespace Commerce.Jobs;

/// <summary>Reads the records a record job delivers (pending orders from the cart, shipments from the WMS).</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <remarks>
/// Stream the records: the job reads them one batch ahead of delivery, so a source of any size is
/// processed in bounded memory. A record the job skipped or failed stays pending in the source
/// (the status sink says which) and is read again on a later run.
/// </remarks>
public interface IRecordSource<T>
{
    /// <summary>Reads the pending records.</summary>
    /// <param name="query">What the job asks for.</param>
    /// <param name="cancellationToken">Cancelled when the run stops.</param>
    /// <returns>The records, streamed.</returns>
    IAsyncEnumerable<T> ReadAsync(RecordQuery query, CancellationToken cancellationToken);
}
