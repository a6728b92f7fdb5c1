using System.Threading.Channels;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Records;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Targets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polly;

namespace Commerce.Jobs.EntitySync;

/// <summary>
/// The synchronization of one entity type to one target on this host: a stateless worker over the store. A pass claims
/// pages of the changes held for the target under this host's lease, delivers each page through the retry window and
/// the target's health monitor, and completes it in the store. The store holds the truth (what is held, what was
/// delivered, the counts); the lane holds only what it has claimed right now.
/// </summary>
/// <remarks>
/// A pass starts on the doorbell (a publish or sync request on this host, a resume, an enable), a bounded channel of one
/// with <see cref="BoundedChannelFullMode.DropWrite"/> (rings while the worker is busy coalesce into one more pass), and
/// on a poll every <see cref="EntitySyncOptions.PollInterval"/>: that is how a host learns of changes held by another
/// host and of skipped changes coming due. Lanes of the same (type, target) on several hosts share the work: a claimed
/// id is leased to one host until it completes it or the lease ends.
/// </remarks>
internal sealed partial class EntitySyncLane : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
        SingleWriter = false,
    });

    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly EntitySyncOptions _options;
    private readonly EngineIdentity _identity;
    private readonly DeliveryAttempt<EntityChange> _attempt;
    private readonly ResiliencePipeline<DeliveryAttempt<EntityChange>> _pipeline;
    private readonly RecordOutcome[] _outcomes;
    private readonly KeyValuePair<string, object?> _typeTag;
    private readonly KeyValuePair<string, object?> _targetTag;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ITimer _pollTimer;
    private readonly ITimer _renewTimer;
    private readonly EngineObserver? _observer;
    private readonly EntityFullSync _fullSync;
    private Task _worker = Task.CompletedTask;
    private Task _stopped = Task.CompletedTask;  // the worker and the cancellations of a stop

    // Guarded by _gate.
    private bool _enabled = true;
    private bool _paused;
    private bool _idle;
    private bool _rung;
    private long _signals;
    private Batch? _batch;
    private EntitySyncCounts? _counts;
    private string? _error;
    private DateTimeOffset? _errorAt;
    private DateTimeOffset _skipsWaitUntil;

    public EntitySyncLane(string entityType, string targetName, IDeliveryTarget target, EntitySyncOptions options, IJobStore store, Func<IServiceProvider, IEntitySource>? source, IServiceProvider services, TimeProvider time, ILogger logger)
    {
        EntityType = entityType;
        TargetName = targetName;
        _options = options;
        _store = store;
        _time = time;
        _logger = logger;
        _identity = services.GetRequiredService<EngineIdentity>();
        _typeTag = new("entity_type", entityType);
        _targetTag = new("target", targetName);
        _outcomes = new RecordOutcome[options.BatchSize];

        // Behind the target's health monitor, shared with record jobs: one concurrency limit and circuit breaker per target.
        IDeliveryTarget<EntityChange> typed = NamedTargetAdapter<EntityChange>.For(target);
        if (services.GetService(typeof(TargetHealthRegistry)) is TargetHealthRegistry health)
        {
            typed = new HealthCheckedTarget<EntityChange>(typed, health.Get(targetName));
        }

        _observer = services.GetService<EngineObserver>();
        _attempt = new DeliveryAttempt<EntityChange>(entityType, typed, static c => c.RecordId, options.RetryWindow, time, _observer);
        _pipeline = DeliveryAttempt<EntityChange>.CreatePipeline(options.RetryWindow, time, _typeTag, _targetTag);
        _fullSync = new EntityFullSync(entityType, targetName, options.BatchSize, store, source, services, _identity.Owner, time, logger, SetError);

        // Armed by Start and around each delivery (never created armed: a test clock that jumps to new timers sees only the code's own waits).
        _pollTimer = time.CreateTimer(static s => ((EntitySyncLane)s!).Wake(rung: false), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _renewTimer = time.CreateTimer(static s => _ = ((EntitySyncLane)s!).RenewAsync(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string EntityType { get; }

    public string TargetName { get; }

    /// <summary>
    /// Gets a value indicating whether the worker waits with nothing it could claim now (or the lane stopped). Turning
    /// idle is told to the <see cref="EngineObserver"/>; turning busy is not, so an observer reads this for the state now.
    /// </summary>
    internal bool IsIdle
    {
        get
        {
            lock (_gate)
            {
                return _idle;
            }
        }
    }

    /// <summary>Starts the worker and the poll.</summary>
    public void Start()
    {
        _observer?.LaneStarted(this);
        _worker = Task.Run(RunAsync);
        _pollTimer.Change(_options.PollInterval, _options.PollInterval);
        Ring();
    }

    /// <summary>Wakes the worker for a pass now (a change was held for the target, or the lane may deliver again).</summary>
    public void Ring() => Wake(rung: true);

    /// <summary>Asks for a full sync for this lane's target (one this host is reading already continues instead), and rings.</summary>
    public async ValueTask RequestFullSyncAsync(Func<IServiceProvider, IEntitySource> source, CancellationToken cancellationToken)
    {
        if (await _fullSync.RequestAsync(source, cancellationToken).ConfigureAwait(false))
        {
            Ring();
        }
    }

    public void SetEnabled(bool enabled)
    {
        lock (_gate)
        {
            _enabled = enabled;
        }

        Ring();
    }

    /// <summary>Sets the pause without waiting for a delivery in progress (for a lane that is not started yet).</summary>
    public void SetPaused(bool paused)
    {
        lock (_gate)
        {
            _paused = paused;
        }
    }

    /// <summary>Delivers the held upserts again.</summary>
    public void Resume()
    {
        SetPaused(false);
        Ring();
    }

    /// <summary>
    /// Claims hold upserts from now on (at once); returns when no upsert is being delivered (a batch holding upserts is
    /// cancelled and released; one of deletes only goes on), or when a target that ignores the cancellation was given
    /// <see cref="EntitySyncDefaults.AbandonAfter"/>.
    /// </summary>
    public async Task PauseAsync()
    {
        Batch? batch;
        lock (_gate)
        {
            _paused = true;
            batch = _batch is { HasUpserts: true } b ? b : null;
        }

        if (batch is not null)
        {
            // Its callbacks run on the thread pool: one that blocks is waited for no longer than the delivery.
            await WaitOrAbandonAsync(Task.WhenAll(batch.Done.Task, batch.CancelInBackground())).ConfigureAwait(false);
        }
    }

    /// <summary>The lane's status: the store's counts as last read (cluster-wide), and this host's newer error if any.</summary>
    public EntitySyncStatus GetStatus(DateTimeOffset? pausedSince)
    {
        lock (_gate)
        {
            var counts = _counts;
            var local = _errorAt is { } at && (counts?.LastErrorAt is not { } stored || at >= stored);
            return new EntitySyncStatus
            {
                EntityType = EntityType,
                TargetName = TargetName,
                PendingCount = counts?.Pending ?? 0,
                LastDeliveredVersion = counts?.LastDeliveredVersion,
                LastDeliveredAt = counts?.LastDeliveredAt,
                PausedSince = pausedSince,
                LastError = local ? _error : counts?.LastError,
                LastErrorAt = local ? _errorAt : counts?.LastErrorAt,
                DeliveredCount = counts?.Delivered ?? 0,
                SkippedCount = counts?.Skipped ?? 0,
                FailedCount = counts?.Failed ?? 0,
                FullSyncRunning = _fullSync.IsRunning(counts?.Pending ?? 0),
            };
        }
    }

    /// <summary>Reads the store's counts for the status (done at start, after each pass and each poll; tests call it directly).</summary>
    internal async Task RefreshCountsAsync()
    {
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

    private void Wake(bool rung)
    {
        lock (_gate)
        {
            _rung |= rung;
            _signals++;

            // A stopped lane delivers nothing more: what is held for it stays in the store, and it stays idle.
            _idle &= _stop.IsCancellationRequested;
            _doorbell.Writer.TryWrite(true);
        }
    }

    private async Task RunAsync()
    {
        var reader = _doorbell.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                reader.TryRead(out _);
                long start;
                bool rung;
                lock (_gate)
                {
                    (start, rung, _rung) = (_signals, _rung, false);
                }

                try
                {
                    await PassAsync(rung).ConfigureAwait(false);
                }
                catch (Exception ex) when (!_stop.IsCancellationRequested)
                {
                    // Mostly the store: logged and shown; the next poll tries again (what was claimed is released when its lease ends).
                    StoreFailed(ex);
                }

                await RefreshCountsAsync().ConfigureAwait(false);
                bool idle;
                lock (_gate)
                {
                    _idle = idle = _signals == start;
                }

                if (idle)
                {
                    _observer?.LaneIdle(this);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            await _fullSync.EndAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Claims and delivers page after page (reading forward), then the full sync's next page; stops early after too many skips.</summary>
    private async Task PassAsync(bool rung)
    {
        await _fullSync.ResumeUnfinishedAsync().ConfigureAwait(false);
        var skipped = 0;
        var after = 0L;
        while (!_stop.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            bool paused;
            lock (_gate)
            {
                // After too many skips only a doorbell tries the target before RetrySkippedAfter, not a poll.
                if (!_enabled || (!rung && now < _skipsWaitUntil))
                {
                    return;
                }

                paused = _paused;
            }

            var claim = new EntityChangeClaim(_identity.Owner, _options.BatchSize, now, now + _identity.LeaseDuration, paused, after);
            var page = await _store.ClaimEntityChangesAsync(EntityType, TargetName, claim, CancellationToken.None).ConfigureAwait(false);
            if (page.Count == 0)
            {
                if (!paused && await _fullSync.ReadPageAsync(_stop.Token).ConfigureAwait(false))
                {
                    await RefreshCountsAsync().ConfigureAwait(false);
                    continue;
                }

                return;
            }

            after = page[^1].Sequence;
            skipped += await DeliverAsync(page).ConfigureAwait(false);
            if (skipped > _options.MaxItemsToSkip)
            {
                SetError($"Skipped {skipped} changes, more than MaxItemsToSkip ({_options.MaxItemsToSkip}); delivery to '{TargetName}' tries again in {_options.RetrySkippedAfter} or when a change arrives.");
                EntitySyncLog.TooManySkips(_logger, EntityType, TargetName, skipped, _options.MaxItemsToSkip);
                lock (_gate)
                {
                    _skipsWaitUntil = _time.GetUtcNow() + _options.RetrySkippedAfter;
                }

                return;
            }
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
            _error = error;
            _errorAt = _time.GetUtcNow();
        }
    }
}
