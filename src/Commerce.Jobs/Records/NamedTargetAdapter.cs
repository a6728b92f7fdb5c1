namespace Commerce.Jobs.Records;

/// <summary>Lets a record job of <typeparamref name="T"/> deliver to a named, any-type <see cref="IDeliveryTarget"/>.</summary>
internal sealed class NamedTargetAdapter<T>(IDeliveryTarget target) : IDeliveryTarget<T>
{
    /// <summary>
    /// Gets what delivers batches of <typeparamref name="T"/> to a named target: its typed contract when it has one
    /// (<see cref="IDeliveryTarget{T}"/> of <see cref="EntityChange"/> for entity sync), else its generic one.
    /// </summary>
    public static IDeliveryTarget<T> For(IDeliveryTarget target) => target as IDeliveryTarget<T> ?? new NamedTargetAdapter<T>(target);

    public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<T> batch, CancellationToken cancellationToken) => target.DeliverAsync(batch, cancellationToken);
}
