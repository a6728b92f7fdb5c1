using System.Collections.Concurrent;

namespace Commerce.Jobs.Adapters;

/// <summary>
/// A delivery target that keeps what it is given, for tests and samples. Set <see cref="Respond"/> to decide the
/// outcome of a batch (inject failures); records are kept only when delivered.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class InMemoryTarget<T> : IDeliveryTarget<T>
{
    private readonly ConcurrentQueue<T> _delivered = new();
    private readonly ConcurrentDictionary<string, int> _deliveries = new(StringComparer.Ordinal);
    private readonly bool _keepRecords;
    private long _calls;
    private long _count;

    /// <summary>Initializes a new instance of the <see cref="InMemoryTarget{T}"/> class.</summary>
    /// <param name="keepRecords">Whether to keep the delivered records and count deliveries per id; <see langword="false"/> only counts (benchmarks).</param>
    public InMemoryTarget(bool keepRecords = true) => _keepRecords = keepRecords;

    /// <summary>Gets or sets what the target answers for a batch; <see langword="null"/> delivers everything.</summary>
    public Func<DeliveryBatch<T>, DeliveryResult>? Respond { get; set; }

    /// <summary>Gets the delivered records, in delivery order.</summary>
    public IReadOnlyCollection<T> Delivered => _delivered;

    /// <summary>Gets how many records were delivered.</summary>
    public long DeliveredCount => Interlocked.Read(ref _count);

    /// <summary>Gets how many delivery calls the target received.</summary>
    public long Calls => Interlocked.Read(ref _calls);

    /// <summary>Gets how many times the record with <paramref name="recordId"/> was delivered.</summary>
    /// <param name="recordId">The record's id.</param>
    /// <returns>The count.</returns>
    public int DeliveryCount(string recordId) => _deliveries.GetValueOrDefault(recordId);

    /// <inheritdoc />
    public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<T> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        Interlocked.Increment(ref _calls);
        var result = Respond?.Invoke(batch) ?? DeliveryResult.Delivered;
        var records = batch.Records.Span;
        var delivered = 0;
        for (var i = 0; i < records.Length; i++)
        {
            if (result.GetOutcome(i).Status != RecordStatus.Delivered)
            {
                continue;
            }

            delivered++;
            if (_keepRecords)
            {
                _delivered.Enqueue(records[i]);
                _deliveries.AddOrUpdate(batch.GetRecordId(i), 1, static (_, n) => n + 1);
            }
        }

        Interlocked.Add(ref _count, delivered);
        return ValueTask.FromResult(result);
    }
}
