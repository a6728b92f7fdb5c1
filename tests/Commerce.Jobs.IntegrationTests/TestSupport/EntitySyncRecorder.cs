using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Commerce.Jobs.IntegrationTests.TestSupport;

/// <summary>
/// One change a target confirmed (answered Delivered for), with the host that delivered it, and when the delivery started
/// and was confirmed (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>: one monotonic clock for every process of the machine).
/// </summary>
internal sealed record EntityDelivery(string Host, string Id, EntityChangeKind Kind, long Version, string IdempotencyKey, string Origin, long Started = 0, long Confirmed = 0)
{
    public override string ToString() => $"{Kind} {Show(Id)} v{Version.ToString(CultureInfo.InvariantCulture)} ({Origin}) by {Host}";

    /// <summary>An id readable in a message: control characters, surrogates and long tails made visible.</summary>
    public static string Show(string id)
    {
        var shown = string.Concat(id.Select(c => char.IsControl(c) || char.IsSurrogate(c) ? $"\\u{(int)c:X4}" : c.ToString()));
        return shown.Length > 40 ? $"{shown[..20]}…({id.Length} chars)" : shown;
    }
}

/// <summary>
/// The one delivery target that several hosts of an entity-sync test share, each through its own <see cref="For"/>
/// instance registered under the same target name (as every host of an application registers the same target). It
/// records every confirmed change with the host that delivered it and checks, as deliveries happen: no two hosts deliver
/// one id at the same time (counted in flight per id), no id ever goes back to a lower version than one the target
/// already has, and each record's idempotency key is its change's. A host the test abandons mid-delivery can be made to
/// hang: its deliveries never answer (until <see cref="ReleaseHung"/>), as a dead host's never do, and another host
/// taking the id over meanwhile is allowed (after the dead host's lease expired).
/// </summary>
internal sealed class EntitySyncRecorder
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<InFlight>> _inFlight = new(StringComparer.Ordinal);
    private readonly Dictionary<string, EntityDelivery> _last = new(StringComparer.Ordinal);
    private readonly List<EntityDelivery> _deliveries = [];
    private readonly List<string> _violations = [];
    private readonly HashSet<string> _hanging = new(StringComparer.Ordinal);
    private readonly List<EntityDelivery> _hung = [];
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public EntitySyncRecorder(string targetName, TimeSpan latency)
    {
        TargetName = targetName;
        Latency = latency;
    }

    /// <summary>Gets the name every host registers the target under.</summary>
    public string TargetName { get; }

    /// <summary>Gets how long each confirmed delivery takes (a remote service's answer time), so that deliveries of several hosts overlap in time.</summary>
    public TimeSpan Latency { get; }

    /// <summary>Gets every confirmed change, in the order the target confirmed them.</summary>
    public IReadOnlyList<EntityDelivery> Deliveries
    {
        get
        {
            lock (_gate)
            {
                return [.. _deliveries];
            }
        }
    }

    /// <summary>Gets what went wrong as deliveries happened: overlapping deliveries of an id, a version going back, a wrong idempotency key.</summary>
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

    /// <summary>Gets the changes that deliveries of abandoned hosts hold (never answered).</summary>
    public IReadOnlyList<EntityDelivery> Hung
    {
        get
        {
            lock (_gate)
            {
                return [.. _hung];
            }
        }
    }

    /// <summary>Gets how many deliveries of live hosts are in progress.</summary>
    public int LiveInFlight
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Values.Sum(l => l.Count(f => !f.Hung));
            }
        }
    }

    /// <summary>The target a host registers (each host its own instance, all recording here).</summary>
    public IDeliveryTarget For(string host) => new Target(this, host);

    /// <summary>From now on, deliveries of <paramref name="host"/> never answer: the host is being abandoned mid-delivery.</summary>
    public void Hang(string host)
    {
        lock (_gate)
        {
            _hanging.Add(host);
        }
    }

    /// <summary>Gets the last change of each id the target confirmed, that is what it holds (a delete: it holds nothing).</summary>
    public IReadOnlyDictionary<string, EntityDelivery> Last()
    {
        lock (_gate)
        {
            return new Dictionary<string, EntityDelivery>(_last, StringComparer.Ordinal);
        }
    }

    /// <summary>Lets the hung deliveries end (cancelled), once their hosts are gone.</summary>
    public void ReleaseHung() => _release.TrySetResult();

    private static string OriginOf(object? payload) => payload switch
    {
        ItemPayload item => item.Origin,
        JsonElement { ValueKind: JsonValueKind.Object } json when json.TryGetProperty("origin", out var origin) => origin.GetString() ?? "?",
        null => "-",
        _ => "?",
    };

    private void RecordLocked(EntityDelivery delivery)
    {
        if (_last.TryGetValue(delivery.Id, out var last) && (delivery.Version < last.Version || (delivery.Version == last.Version && delivery.Kind < last.Kind)))
        {
            _violations.Add($"{Show(delivery.Id)}: {delivery} after {last}: the target went back to an older version");
        }

        _last[delivery.Id] = delivery;
        _deliveries.Add(delivery);
    }

    private static string Show(string id) => EntityDelivery.Show(id);

    private async ValueTask<DeliveryResult> DeliverAsync(string host, DeliveryBatch<EntityChange> batch, CancellationToken cancellationToken)
    {
        var changes = batch.Records.ToArray();
        var deliveries = new EntityDelivery[changes.Length];
        bool hang;
        lock (_gate)
        {
            hang = _hanging.Contains(host);
            for (var i = 0; i < changes.Length; i++)
            {
                var change = changes[i];
                deliveries[i] = new EntityDelivery(host, change.Id, change.Kind, change.Version, batch.GetIdempotencyKey(i), OriginOf(change.Payload), Stopwatch.GetTimestamp());
                var expectedKey = IdempotencyKey.Create(change.EntityType, $"{change.Id}:{change.Version.ToString(CultureInfo.InvariantCulture)}");
                if (deliveries[i].IdempotencyKey != expectedKey || change.IdempotencyKey != expectedKey)
                {
                    _violations.Add($"{Show(change.Id)}: {deliveries[i]} carried the idempotency key '{deliveries[i].IdempotencyKey}', not '{expectedKey}'");
                }

                if (!_inFlight.TryGetValue(change.Id, out var flying))
                {
                    _inFlight[change.Id] = flying = [];
                }

                // A hung delivery is a dead host's: once its lease expired, another host may deliver the id (at least once).
                if (flying.Where(f => !f.Hung) is var live && live.Any())
                {
                    _violations.Add($"{Show(change.Id)}: {deliveries[i]} started while {string.Join(", ", live.Select(f => f.Delivery))} was being delivered");
                }

                flying.Add(new InFlight(deliveries[i], hang));
                if (hang)
                {
                    _hung.Add(deliveries[i]);
                }
            }
        }

        try
        {
            if (hang)
            {
                // A dead host's call: it never answers (a cancellation included), until the test is done with it.
                await _release.Task.ConfigureAwait(false);
                throw new OperationCanceledException("The host was abandoned.");
            }

            if (Latency > TimeSpan.Zero)
            {
                await Task.Delay(Latency, cancellationToken).ConfigureAwait(false);
            }

            lock (_gate)
            {
                // Confirmed only when not cancelled: what the target answers for, it has.
                cancellationToken.ThrowIfCancellationRequested();
                var confirmed = Stopwatch.GetTimestamp();
                foreach (var delivery in deliveries)
                {
                    RecordLocked(delivery with { Confirmed = confirmed });
                }
            }

            return DeliveryResult.Delivered;
        }
        finally
        {
            lock (_gate)
            {
                foreach (var delivery in deliveries)
                {
                    var flying = _inFlight[delivery.Id];
                    flying.RemoveAt(flying.FindIndex(f => ReferenceEquals(f.Delivery, delivery)));
                }
            }
        }
    }

    private sealed record InFlight(EntityDelivery Delivery, bool Hung);

    private sealed class Target(EntitySyncRecorder recorder, string host) : IDeliveryTarget, IDeliveryTarget<EntityChange>
    {
        public string Name => recorder.TargetName;

        public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<EntityChange> batch, CancellationToken cancellationToken) => recorder.DeliverAsync(host, batch, cancellationToken);

        public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
            => throw new NotSupportedException($"The recording target takes entity changes only (through IDeliveryTarget<EntityChange>), not {typeof(T).Name}.");
    }
}

/// <summary>The payload of an entity of the tests: its version, and whether it was published or read from the source (a repair).</summary>
internal sealed record ItemPayload(long Version, string Origin)
{
    public const string Published = "publish";
    public const string FromSource = "source";
}
