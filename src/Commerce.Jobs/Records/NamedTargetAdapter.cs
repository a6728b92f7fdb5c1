namespace Commerce.Jobs.Records;

/// <summary>Lets a record job of <typeparamref name="T"/> deliver to a named, any-type <see cref="IDeliveryTarget"/>.</summary>
internal sealed class NamedTargetAdapter<T>(IDeliveryTarget target) : IDeliveryTarget<T>
{
    public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<T> batch, CancellationToken cancellationToken) => target.DeliverAsync(batch, cancellationToken);
}
