using Commerce.Jobs.EntitySync;
using Commerce.Jobs.Storage;
using HeldRow = Commerce.Jobs.EntitySync.EntityConsolidation.HeldRow;
using Position = Commerce.Jobs.EntitySync.EntityConsolidation.Position;

namespace Commerce.Jobs.History;

/// <summary>
/// Entity sync in memory: per (type, target) the held rows by id and in sequence order, the delivered change per id and
/// the counts; every call is one step under the store's lock, by the rules of <see cref="EntityConsolidation"/>.
/// </summary>
internal sealed partial class InMemoryJobStore
{
    private static readonly EntitySyncCounts NoCounts = new(0, 0, 0, 0, null, null, null, null);

    // Entity type → target → sync state (held rows, delivered changes and counts).
    private readonly Dictionary<string, Dictionary<string, EntitySyncState>> _entitySync = new(StringComparer.OrdinalIgnoreCase);

    public ValueTask<int> AddEntityChangesAsync(IReadOnlyCollection<string> targetNames, IReadOnlyList<EntityChange> changes, bool repair, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targetNames);
        ArgumentNullException.ThrowIfNull(changes);
        foreach (var change in changes)
        {
            ArgumentNullException.ThrowIfNull(change, nameof(changes));
        }

        // Held now: the change (by its index) each (type, target, id) took last in this call; counted once for all targets.
        var held = new Dictionary<(EntitySyncState, string), int>();
        lock (_gate)
        {
            foreach (var target in targetNames)
            {
                for (var i = 0; i < changes.Count; i++)
                {
                    var change = changes[i];
                    var state = GetEntitySyncState(change.EntityType, target, create: true)!;
                    HeldRow? row = state.Held.TryGetValue(change.Id, out var existing) ? existing : null;
                    if (EntityConsolidation.Add(row, change, repair, state.DeliveredPosition(change.Id), _sequence + 1) is { } added)
                    {
                        _sequence++;
                        state.Hold(added);
                        held[(state, change.Id)] = i;
                    }
                }
            }
        }

        return ValueTask.FromResult(held.Values.Distinct().Count());
    }

    public ValueTask<IReadOnlyList<HeldEntityChange>> ClaimEntityChangesAsync(string entityType, string targetName, EntityChangeClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(claim.Owner);
        ArgumentOutOfRangeException.ThrowIfLessThan(claim.MaxChanges, 1);
        lock (_gate)
        {
            var state = GetEntitySyncState(entityType, targetName, create: false);
            if (state is null || claim.AfterSequence == long.MaxValue)
            {
                return ValueTask.FromResult<IReadOnlyList<HeldEntityChange>>([]);
            }

            // Only rows the claim may hand out are walked: skipped ones once they are due, the deletes alone while upserts
            // are held back.
            state.Promote(claim.Now);
            var taken = new List<HeldRow>();
            List<string>? dropped = null;
            var queue = claim.HoldUpserts ? state.Deletes : state.Queue;
            foreach (var (_, id) in queue.GetViewBetween((claim.AfterSequence + 1, string.Empty), (long.MaxValue, string.Empty)))
            {
                EntityRowsRead++;
                var row = state.Held[id];
                switch (EntityConsolidation.Claim(row, state.DeliveredPosition(id), claim))
                {
                    case EntityConsolidation.ClaimVerdict.Take:
                        taken.Add(EntityConsolidation.Lease(row, claim));
                        break;
                    case EntityConsolidation.ClaimVerdict.Drop:
                        (dropped ??= []).Add(id);
                        break;
                }

                if (taken.Count == claim.MaxChanges)
                {
                    break;
                }
            }

            // Applied after the walk: the queue cannot change under its view.
            dropped?.ForEach(state.Drop);
            taken.ForEach(state.Set);
            return ValueTask.FromResult<IReadOnlyList<HeldEntityChange>>([.. taken.Select(row => row.ToHeld())]);
        }
    }

    public ValueTask CompleteEntityChangesAsync(string entityType, string targetName, string owner, IReadOnlyList<EntityChangeCompletion> completions, DateTimeOffset now, DateTimeOffset retrySkippedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(completions);
        foreach (var completion in completions)
        {
            ArgumentNullException.ThrowIfNull(completion.Change, nameof(completions));
        }

        lock (_gate)
        {
            var state = GetEntitySyncState(entityType, targetName, create: true)!;
            foreach (var completion in completions)
            {
                var change = completion.Change;
                var position = Position.Of(change);
                if (completion.Status == RecordStatus.Delivered && EntityConsolidation.Advances(position, state.DeliveredPosition(change.Id)))
                {
                    state.Delivered[change.Id] = new Delivery(change.Version, change.Kind, now);
                }

                state.Counts = EntityConsolidation.Count(state.Counts, completion, now);
                if (state.Held.TryGetValue(change.Id, out var row))
                {
                    if (EntityConsolidation.Complete(row, owner, completion, retrySkippedAt) is { } settled)
                    {
                        state.Set(settled);
                    }
                    else
                    {
                        state.Drop(change.Id);
                    }
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<int> RenewEntityLeasesAsync(string entityType, string targetName, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        lock (_gate)
        {
            var state = GetEntitySyncState(entityType, targetName, create: false);
            var owned = state?.Held.Values.Where(row => string.Equals(row.LeaseOwner, owner, StringComparison.Ordinal)).ToList() ?? [];
            owned.ForEach(row => state!.Held[row.Change.Id] = row with { LeaseUntil = leaseUntil });
            return ValueTask.FromResult(owned.Count);
        }
    }

    public ValueTask<EntitySyncCounts> GetEntitySyncCountsAsync(string entityType, string targetName, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = GetEntitySyncState(entityType, targetName, create: false);
            return ValueTask.FromResult(state is null ? NoCounts : state.Counts with { Pending = state.Held.Count });
        }
    }

    public ValueTask<IReadOnlyList<EntityChange>> GetEntityChangesAsync(string entityType, string targetName, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = GetEntitySyncState(entityType, targetName, create: false);
            IReadOnlyList<EntityChange> result = state is null ? [] : [.. state.Held.Values.Select(row => row.Change)];
            return ValueTask.FromResult(result);
        }
    }

    public ValueTask<IReadOnlyDictionary<string, long>> GetDeliveredEntityVersionsAsync(string entityType, string targetName, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = GetEntitySyncState(entityType, targetName, create: false);
            IReadOnlyDictionary<string, long> result = state is null
                ? new Dictionary<string, long>(StringComparer.Ordinal)
                : state.Delivered.ToDictionary(d => d.Key, d => d.Value.Version, StringComparer.Ordinal);
            return ValueTask.FromResult(result);
        }
    }

    public ValueTask<int> PurgeEntityTombstonesAsync(string entityType, DateTimeOffset deliveredBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        var removed = 0;
        lock (_gate)
        {
            if (_entitySync.TryGetValue(entityType, out var byTarget))
            {
                foreach (var state in byTarget.Values)
                {
                    foreach (var (id, delivered) in state.Delivered)
                    {
                        if (delivered.Kind == EntityChangeKind.Delete && delivered.At < deliveredBefore && state.Delivered.Remove(id))
                        {
                            removed++;
                        }
                    }
                }
            }
        }

        return ValueTask.FromResult(removed);
    }

    public ValueTask ClearEntitySyncAsync(string entityType, string? targetName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        lock (_gate)
        {
            // Held rows, delivered changes and counts live in one state per (type, target): all go together.
            if (targetName is null)
            {
                _entitySync.Remove(entityType);
            }
            else if (_entitySync.TryGetValue(entityType, out var byTarget))
            {
                byTarget.Remove(targetName);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Gets how many held rows claims have read so far, for tests (a claim reads only rows it may hand out).</summary>
    internal long EntityRowsRead { get; private set; }

    /// <summary>Gets the held rows of an entity type for a target, for tests (invariant checks over a snapshot).</summary>
    internal IReadOnlyList<HeldRow> GetHeldRows(string entityType, string targetName)
    {
        lock (_gate)
        {
            var state = GetEntitySyncState(entityType, targetName, create: false);
            return state is null ? [] : [.. state.Held.Values];
        }
    }

    private EntitySyncState? GetEntitySyncState(string entityType, string targetName, bool create)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        ArgumentNullException.ThrowIfNull(targetName);
        if (!_entitySync.TryGetValue(entityType, out var byTarget))
        {
            if (!create)
            {
                return null;
            }

            _entitySync[entityType] = byTarget = new(StringComparer.OrdinalIgnoreCase);
        }

        if (!byTarget.TryGetValue(targetName, out var state) && create)
        {
            byTarget[targetName] = state = new();
        }

        return state;
    }
}
