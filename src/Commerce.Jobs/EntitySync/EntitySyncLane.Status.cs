using Commerce.Jobs.Internal;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.EntitySync;

// The lane's status: the store's counts as last read, and this host's last error.
internal sealed partial class EntitySyncLane
{
    private readonly AtomicTimestamp _countsReadAt = new();  // written by the worker and by a pause or stop
    private EntitySyncCounts _counts = new(0, 0, 0, 0, null, null, null, null);  // guarded by _gate
    private (string Text, DateTimeOffset At)? _error;  // this host's last error: the store, a full sync, too many skips (guarded)

    /// <summary>The store's counts as last read (the same on every host), and this host's last error when newer than the store's.</summary>
    public EntitySyncStatus GetStatus(DateTimeOffset? pausedSince)
    {
        lock (_gate)
        {
            var c = _counts;
            var error = _error is { } local && (c.LastErrorAt is not { } stored || local.At >= stored) ? local : (c.LastError, c.LastErrorAt);
            return new EntitySyncStatus
            {
                EntityType = EntityType, TargetName = TargetName, PendingCount = c.Pending, PausedSince = pausedSince,
                LastDeliveredVersion = c.LastDeliveredVersion, LastDeliveredAt = c.LastDeliveredAt, LastError = error.Item1, LastErrorAt = error.Item2,
                DeliveredCount = c.Delivered, SkippedCount = c.Skipped, FailedCount = c.Failed, FullSyncRunning = _fullSync.IsRunning(c.Pending),
            };
        }
    }

    /// <summary>Reads the store's counts for the status: at start, after each pass, at each poll; a failure is logged and shown.</summary>
    internal async Task RefreshCountsAsync()
    {
        _countsReadAt.Write(_time.GetUtcNow());
        try
        {
            var counts = await _store.GetEntitySyncCountsAsync(EntityType, TargetName, CancellationToken.None).ConfigureAwait(false);
            lock (_gate)
            {
                _counts = counts;
            }

            _fullSync.Counted(counts.Pending);
        }
        catch (Exception ex)
        {
            StoreFailed(ex);
        }
    }

    private void StoreFailed(Exception ex)
    {
        EntitySyncLog.StoreFailed(_logger, EntityType, TargetName, ex);
        SetError($"The job store failed: {ex.GetType().Name}: {ex.Message}");
    }

    private void SetError(string error)
    {
        lock (_gate)
        {
            _error = (error, _time.GetUtcNow());
        }
    }

    /// <summary>Reads the counts mid-pass at most once per poll interval (one count per page would scan the held rows each time).</summary>
    private Task RefreshCountsIfDueAsync() =>
        _countsReadAt.Read() is { } readAt && _time.GetUtcNow() - readAt < _options.PollInterval ? Task.CompletedTask : RefreshCountsAsync();
}
