namespace Commerce.Jobs;

/// <summary>Delivers batches of <typeparamref name="T"/> somewhere (an ERP, a WMS, a search service) and says what became of each record.</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <remarks>
/// Return a failure rather than throw: an exception is treated as a transient failure of the whole batch.
/// Do not retry inside the target: the job's retry window does that.
/// </remarks>
public interface IDeliveryTarget<T>
{
    /// <summary>Delivers one batch.</summary>
    /// <param name="batch">The records.</param>
    /// <param name="cancellationToken">Cancelled when the run stops.</param>
    /// <returns>What became of the batch or of each record.</returns>
    ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<T> batch, CancellationToken cancellationToken);
}
