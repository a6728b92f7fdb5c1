namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>
/// A named target that applies entity changes to its own state (id → version; a delete removes the id), logs every
/// delivery in order, and records a violation whenever a change older than one it already had arrives.
/// <see cref="Decide"/> fails records on demand; <see cref="BeforeDeliver"/> can hold a delivery.
/// </summary>
internal sealed class RecordingTarget(string name) : IDeliveryTarget
{
    private readonly Lock _gate = new();
    private readonly List<EntityChange> _log = [];
    private readonly Dictionary<string, long> _state = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _highest = new(StringComparer.Ordinal);
    private readonly List<string> _violations = [];
    private readonly List<string> _keys = [];
    private int _calls;

    public string Name { get; } = name;

    /// <summary>Gets or sets the outcome of each record; <see langword="null"/> delivers all.</summary>
    public Func<EntityChange, RecordOutcome>? Decide { get; set; }

    /// <summary>Gets or sets a hook awaited before each delivery call.</summary>
    public Func<CancellationToken, Task>? BeforeDeliver { get; set; }

    /// <summary>Gets or sets a hook awaited before each delivery call, given the changes of the call.</summary>
    public Func<IReadOnlyList<EntityChange>, Task>? BeforeDeliverChanges { get; set; }

    public int Calls => Volatile.Read(ref _calls);

    public IReadOnlyList<EntityChange> Log
    {
        get
        {
            lock (_gate)
            {
                return [.. _log];
            }
        }
    }

    /// <summary>Gets the live entities: id → version.</summary>
    public IReadOnlyDictionary<string, long> State
    {
        get
        {
            lock (_gate)
            {
                return new Dictionary<string, long>(_state, StringComparer.Ordinal);
            }
        }
    }

    public IReadOnlyList<string> Violations
    {
        get
        {
            lock (_gate)
            {
                return [.. _violations];
            }
        }
    }

    /// <summary>Gets the idempotency keys the batches gave, in order.</summary>
    public IReadOnlyList<string> IdempotencyKeys
    {
        get
        {
            lock (_gate)
            {
                return [.. _keys];
            }
        }
    }

    /// <summary>Forgets its state, as a target that lost its data (the log stays).</summary>
    public void Wipe()
    {
        lock (_gate)
        {
            _state.Clear();
            _highest.Clear();
        }
    }

    public async ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        if (BeforeDeliver is { } before)
        {
            await before(cancellationToken);
        }

        var records = batch.Records.ToArray().Cast<EntityChange>().ToArray();
        if (BeforeDeliverChanges is { } beforeChanges)
        {
            await beforeChanges(records);
        }

        var outcomes = records.Select(r => Decide?.Invoke(r) ?? RecordOutcome.Delivered).ToArray();
        lock (_gate)
        {
            for (var i = 0; i < records.Length; i++)
            {
                if (outcomes[i].Status != RecordStatus.Delivered)
                {
                    continue;
                }

                var change = records[i];
                _keys.Add(batch.GetIdempotencyKey(i));
                _log.Add(change);
                if (_highest.TryGetValue(change.Id, out var highest) && change.Version < highest)
                {
                    _violations.Add($"{change} arrived after version {highest}");
                }

                _highest[change.Id] = Math.Max(highest, change.Version);
                if (change.Kind == EntityChangeKind.Upsert)
                {
                    _state[change.Id] = change.Version;
                }
                else
                {
                    _state.Remove(change.Id);
                }
            }
        }

        return outcomes.All(o => o.Status == RecordStatus.Delivered) ? DeliveryResult.Delivered
            : outcomes.All(o => o.Status == RecordStatus.TransientFailure) ? DeliveryResult.TransientFailure(outcomes[0].Error ?? "down")
            : DeliveryResult.PerRecord(outcomes);
    }
}
