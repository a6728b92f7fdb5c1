using System.Collections.Concurrent;

namespace Commerce.Jobs.Adapters;

/// <summary>A named delivery target of any record type that keeps what it is given (idempotency key → record), for tests and samples.</summary>
/// <param name="name">The target's name, which jobs name in <c>DeliverTo</c>.</param>
public sealed class InMemoryTarget(string name) : IDeliveryTarget
{
    private readonly ConcurrentDictionary<string, object?> _records = new(StringComparer.Ordinal);
    private long _deliveries;

    /// <inheritdoc />
    public string Name { get; } = name;

    /// <summary>Gets the records held, by idempotency key; a record delivered again replaces itself.</summary>
    public IReadOnlyDictionary<string, object?> Records => _records;

    /// <summary>Gets how many records were delivered, duplicates included.</summary>
    public long Deliveries => Interlocked.Read(ref _deliveries);

    /// <inheritdoc />
    public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        var records = batch.Records.Span;
        for (var i = 0; i < records.Length; i++)
        {
            _records[batch.GetIdempotencyKey(i)] = records[i];
        }

        Interlocked.Add(ref _deliveries, records.Length);
        return ValueTask.FromResult(DeliveryResult.Delivered);
    }
}
