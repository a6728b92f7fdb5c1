namespace Commerce.Jobs;

/// <summary>A named delivery target that accepts records of any type (an HTTP endpoint, a folder, a blob container).</summary>
/// <remarks>
/// Record jobs and entity syncs name it in <c>DeliverTo("name")</c>. A target that also implements
/// <see cref="IDeliveryTarget{T}"/> for a record type receives batches of that type through it: entity sync delivers
/// through <see cref="IDeliveryTarget{T}"/> of <see cref="EntityChange"/> when the target has it.
/// </remarks>
public interface IDeliveryTarget
{
    /// <summary>Gets the target's name, unique among the host's targets.</summary>
    string Name { get; }

    /// <summary>Delivers one batch.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="batch">The records.</param>
    /// <param name="cancellationToken">Cancelled when the run stops.</param>
    /// <returns>What became of the batch or of each record.</returns>
    ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken);
}
