using Commerce.Jobs.Storage;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.EntitySync;

/// <summary>
/// A lane's status as this host shows it: the store's counts for the (type, target) as last read (cluster-wide, as fresh
/// as the last read), and this host's last error (the store failing, a full sync failing, too many skips) when it is
/// newer than the store's.
/// </summary>
internal sealed class EntitySyncLaneStatus(string entityType, string targetName, IEntitySyncStore store, TimeProvider time, ILogger logger)
{
    private static readonly EntitySyncCounts None = new(0, 0, 0, 0, null, null, null, null);
    private readonly Lock _gate = new();
    private EntitySyncCounts? _counts;  // guarded
    private (string Text, DateTimeOffset At)? _error;  // guarded

    public EntitySyncStatus Get(DateTimeOffset? pausedSince, EntityFullSync fullSync)
    {
        lock (_gate)
        {
            var c = _counts ?? None;
            var error = _error is { } local && (c.LastErrorAt is not { } stored || local.At >= stored) ? local : (c.LastError, c.LastErrorAt);
            return new EntitySyncStatus
            {
                EntityType = entityType, TargetName = targetName, PendingCount = c.Pending, PausedSince = pausedSince,
                LastDeliveredVersion = c.LastDeliveredVersion, LastDeliveredAt = c.LastDeliveredAt, LastError = error.Item1, LastErrorAt = error.Item2,
                DeliveredCount = c.Delivered, SkippedCount = c.Skipped, FailedCount = c.Failed, FullSyncRunning = fullSync.IsRunning(c.Pending),
            };
        }
    }

    /// <summary>Reads the store's counts; returns how many changes are held, or <see langword="null"/> when the store failed (logged and shown).</summary>
    public async Task<long?> RefreshAsync()
    {
        try
        {
            var counts = await store.GetEntitySyncCountsAsync(entityType, targetName, CancellationToken.None).ConfigureAwait(false);
            lock (_gate)
            {
                _counts = counts;
            }

            return counts.Pending;
        }
        catch (Exception ex)
        {
            StoreFailed(ex);
            return null;
        }
    }

    public void StoreFailed(Exception ex)
    {
        EntitySyncLog.StoreFailed(logger, entityType, targetName, ex);
        SetError($"The job store failed: {ex.GetType().Name}: {ex.Message}");
    }

    public void SetError(string error)
    {
        lock (_gate)
        {
            _error = (error, time.GetUtcNow());
        }
    }
}
