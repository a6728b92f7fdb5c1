using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.History;

/// <summary>The default store: run history, record failures and held entity changes in process memory. Nothing survives a restart.</summary>
internal sealed partial class InMemoryJobStore : IJobStore
{
    // One history per job with its own lock: runs of different jobs never contend, and a run costs no list node.
    private readonly ConcurrentDictionary<string, RunHistory> _runs = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Dictionary<string, RecordFailure>> _failures = new(StringComparer.OrdinalIgnoreCase);

    // Entity type → target → sync state (held changes and delivered versions by id).
    private readonly Dictionary<string, Dictionary<string, EntitySyncState>> _entitySync = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    public ValueTask AddRunAsync(JobRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var history = _runs.GetOrAdd(run.JobName, static _ => new RunHistory());
        lock (history)
        {
            history.AddNewest(run);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken)
    {
        if (!_runs.TryGetValue(jobName, out var history))
        {
            return ValueTask.FromResult<IReadOnlyList<JobRun>>([]);
        }

        lock (history)
        {
            return ValueTask.FromResult<IReadOnlyList<JobRun>>(history.Newest(maxRuns));
        }
    }

    public ValueTask<int> PurgeRunsAsync(string jobName, int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken)
    {
        var removed = 0;
        if (_runs.TryGetValue(jobName, out var history))
        {
            lock (history)
            {
                // Newest first: drop the oldest while there are too many or the oldest is too old.
                while (history.Count > 0 && (history.Count > keepLast || history.Oldest.EndedAt < endedBefore))
                {
                    history.RemoveOldest();
                    removed++;
                }
            }
        }

        return ValueTask.FromResult(removed);
    }

    public ValueTask AddRecordFailuresAsync(string jobName, IReadOnlyList<RecordFailure> failures, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failures);
        lock (_gate)
        {
            if (!_failures.TryGetValue(jobName, out var byId))
            {
                _failures[jobName] = byId = new(StringComparer.Ordinal);
            }

            foreach (var failure in failures)
            {
                var attempts = byId.TryGetValue(failure.RecordId, out var previous) ? previous.Attempts + 1 : 1;
                byId[failure.RecordId] = failure with { Attempts = attempts };
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveRecordFailuresAsync(string jobName, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        lock (_gate)
        {
            if (_failures.TryGetValue(jobName, out var byId))
            {
                foreach (var id in recordIds)
                {
                    byId.Remove(id);
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<RecordFailure>> GetRecordFailuresAsync(string jobName, string? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        lock (_gate)
        {
            if (!_failures.TryGetValue(jobName, out var byId))
            {
                return ValueTask.FromResult<IReadOnlyList<RecordFailure>>([]);
            }

            // Ordinal order of ids; memory holds them all anyway, so a page costs a scan and a sort of what follows.
            IReadOnlyList<RecordFailure> page =
            [
                .. byId.Values.Where(f => after is null || string.CompareOrdinal(f.RecordId, after) > 0)
                    .OrderBy(f => f.RecordId, StringComparer.Ordinal)
                    .Take(limit),
            ];
            return ValueTask.FromResult(page);
        }
    }

    public ValueTask<IReadOnlyList<RecordFailure>> FindRecordFailuresAsync(string jobName, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        lock (_gate)
        {
            if (!_failures.TryGetValue(jobName, out var byId) || byId.Count == 0)
            {
                return ValueTask.FromResult<IReadOnlyList<RecordFailure>>([]);
            }

            var found = new List<RecordFailure>();
            foreach (var id in recordIds.Distinct(StringComparer.Ordinal))
            {
                if (byId.TryGetValue(id, out var failure))
                {
                    found.Add(failure);
                }
            }

            return ValueTask.FromResult<IReadOnlyList<RecordFailure>>(found);
        }
    }

    public ValueTask AddEntityChangesAsync(IReadOnlyCollection<string> targetNames, IReadOnlyList<EntityChange> changes, bool repair, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targetNames);
        ArgumentNullException.ThrowIfNull(changes);
        lock (_gate)
        {
            foreach (var target in targetNames)
            {
                foreach (var change in changes)
                {
                    GetEntitySyncState(change.EntityType, target, create: true)!.Add(change);
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask MarkEntityChangesDeliveredAsync(string targetName, IReadOnlyList<EntityChange> changes, DateTimeOffset deliveredAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        lock (_gate)
        {
            foreach (var change in changes)
            {
                GetEntitySyncState(change.EntityType, targetName, create: true)!.MarkDelivered(change, deliveredAt);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveEntityChangesAsync(string targetName, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        lock (_gate)
        {
            foreach (var change in changes)
            {
                GetEntitySyncState(change.EntityType, targetName, create: false)?.Remove(change);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<EntityChange>> GetEntityChangesAsync(string entityType, string targetName, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = GetEntitySyncState(entityType, targetName, create: false);
            IReadOnlyList<EntityChange> result = state is null ? [] : [.. state.Held.Values];
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

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<HeldEntityChange>> ClaimEntityChangesAsync(string entityType, string targetName, EntityChangeClaim claim, CancellationToken cancellationToken) =>
        throw new NotImplementedException("Being built: claims of held entity changes.");

    /// <inheritdoc />
    public ValueTask CompleteEntityChangesAsync(string entityType, string targetName, string owner, IReadOnlyList<EntityChangeCompletion> completions, DateTimeOffset now, DateTimeOffset retrySkippedAt, CancellationToken cancellationToken) =>
        throw new NotImplementedException("Being built: completions of held entity changes.");

    /// <inheritdoc />
    public ValueTask<int> RenewEntityLeasesAsync(string entityType, string targetName, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        throw new NotImplementedException("Being built: leases of held entity changes.");

    /// <inheritdoc />
    public ValueTask<EntitySyncCounts> GetEntitySyncCountsAsync(string entityType, string targetName, CancellationToken cancellationToken) =>
        throw new NotImplementedException("Being built: entity sync counts.");

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

    /// <summary>One entity type's state at one target: the newest held change per id, and the delivered change per id.</summary>
    private sealed class EntitySyncState
    {
        public Dictionary<string, EntityChange> Held { get; } = new(StringComparer.Ordinal);

        public Dictionary<string, Delivery> Delivered { get; } = new(StringComparer.Ordinal);

        public void Add(EntityChange change)
        {
            ref var held = ref CollectionsMarshal.GetValueRefOrAddDefault(Held, change.Id, out _);
            if (held is null || Compare(change.Version, change.Kind, held.Version, held.Kind) > 0)
            {
                held = change;
            }
        }

        public void Remove(EntityChange change)
        {
            if (Held.TryGetValue(change.Id, out var held) && Compare(held.Version, held.Kind, change.Version, change.Kind) <= 0)
            {
                Held.Remove(change.Id);
            }
        }

        public void MarkDelivered(EntityChange change, DateTimeOffset at)
        {
            Remove(change);
            ref var delivered = ref CollectionsMarshal.GetValueRefOrAddDefault(Delivered, change.Id, out var exists);
            if (!exists || Compare(change.Version, change.Kind, delivered.Version, delivered.Kind) >= 0)
            {
                delivered = new Delivery(change.Version, change.Kind, at);
            }
        }
    }

    /// <summary>
    /// The store's one order of changes of an id: by version, and on equal versions a delete after an upsert (so a delete
    /// replaces an upsert of the same version). Negative when the first comes before the second.
    /// </summary>
    private static int Compare(long version, EntityChangeKind kind, long otherVersion, EntityChangeKind otherKind) =>
        version != otherVersion ? version.CompareTo(otherVersion) : (kind == EntityChangeKind.Delete).CompareTo(otherKind == EntityChangeKind.Delete);

    /// <summary>The delivered change of one id: its version, kind and time.</summary>
    private readonly record struct Delivery(long Version, EntityChangeKind Kind, DateTimeOffset At);
}
