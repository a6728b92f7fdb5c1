using System.Threading.Channels;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Records;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.EntitySync;

/// <summary>
/// One entity type's synchronization to one target on this host, a stateless worker over the store: a pass claims pages
/// of held changes under this host's lease and has each delivered and completed (<see cref="EntityChangeDelivery"/>),
/// then reads the full sync's next page, if one is being read (<see cref="EntityFullSync"/>).
/// </summary>
/// <remarks>
/// A pass starts on the doorbell (a publish or sync request here, a resume, an enable; rings coalesce) and on a poll every
/// <see cref="EntitySyncOptions.PollInterval"/> (changes held by other hosts, skipped ones coming due). A claimed id is
/// one host's until it completes it or the lease ends. A failing store is logged and shown, and tried again at the next poll.
/// </remarks>
internal sealed partial class EntitySyncLane : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private volatile EntitySyncOptions _options;  // replaced when a delivery setting changes at run time: read once per page
    private readonly EngineIdentity _identity;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ITimer _pollTimer;
    private readonly EngineObserver? _observer;
    private readonly EntityChangeDelivery _delivery;
    private readonly EntityFullSync _fullSync;
    private Task _worker = Task.CompletedTask;
    private Task _stopped = Task.CompletedTask;  // the worker and the cancellations of a stop

    // Guarded by _gate.
    private bool _enabled = true, _paused, _idle, _rung;
    private long _signals;
    private DateTimeOffset _skipsWaitUntil;

    public EntitySyncLane(string entityType, string targetName, IDeliveryTarget target, EntitySyncOptions options, IJobStore store, Func<IServiceProvider, IEntitySource>? source, IServiceProvider services, TimeProvider time, ILogger logger)
    {
        (EntityType, TargetName, _options, _store, _time, _logger) = (entityType, targetName, options, store, time, logger);
        _identity = services.GetRequiredService<EngineIdentity>();
        _observer = services.GetService<EngineObserver>();
        _delivery = new EntityChangeDelivery(entityType, targetName, target, options, store, services, time, logger, StoreFailed, Writes);
        _fullSync = new EntityFullSync(entityType, targetName, store, source, services, _identity, time, logger, SetError, Writes);

        // Armed by Start, not at creation (a test clock that jumps to new timers sees only the code's own waits).
        _pollTimer = time.CreateTimer(static s => ((EntitySyncLane)s!).Wake(rung: false), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string EntityType { get; }

    public string TargetName { get; }

    /// <summary>Gets the lane's store writes: closed when the lane is retired, before the store is cleared.</summary>
    public EntitySyncPublishFence Writes { get; } = new();

    /// <summary>Gets whether the worker waits with nothing it could claim now, or stopped (told to the <see cref="EngineObserver"/>).</summary>
    internal bool IsIdle => Volatile.Read(ref _idle);

    public void Start()
    {
        _observer?.LaneStarted(this);
        _worker = Task.Run(RunAsync);
        _pollTimer.Change(_options.PollInterval, _options.PollInterval);
        Ring();
    }

    /// <summary>Wakes the worker for a pass now (something was held for the target, or it may deliver again).</summary>
    public void Ring() => Wake(rung: true);

    /// <summary>Asks for a full sync for this lane's target (one this host reads already continues instead).</summary>
    public async ValueTask RequestFullSyncAsync(Func<IServiceProvider, IEntitySource> source, CancellationToken cancellationToken)
    {
        if (await _fullSync.RequestAsync(source, cancellationToken).ConfigureAwait(false))
        {
            Ring();
        }
    }

    /// <summary>Delivers with these options from the next page on (a page being delivered keeps those it started with).</summary>
    public void SetOptions(EntitySyncOptions options) => _options = options;

    public void SetEnabled(bool enabled) => Set(ref _enabled, enabled);

    /// <summary>Sets the pause without waiting for a delivery in progress (a lane not started, or a resume).</summary>
    public void SetPaused(bool paused) => Set(ref _paused, paused);

    /// <summary>Claims hold upserts from now on; returns when no upsert is being delivered (cancelled and released, or abandoned).</summary>
    public async Task PauseAsync()
    {
        lock (_gate)
        {
            _paused = true;
        }

        var released = _delivery.CancelUpserts();
        if (!released.IsCompleted)
        {
            await _delivery.WaitOrAbandonAsync(released).ConfigureAwait(false);
            await RefreshCountsAsync().ConfigureAwait(false);  // the caller may read the status next: the released changes are held
        }
    }

    /// <summary>
    /// Stops the worker: a delivery may finish within <paramref name="grace"/>, then it is cancelled (its changes released)
    /// and, if the target ignores that, abandoned after <see cref="EntitySyncDefaults.AbandonAfter"/> (its call may still
    /// reach the target, so its changes stay leased until the lease runs out).
    /// </summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        _pollTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        // Cancellation callbacks run on the thread pool: one that blocks is waited for within the same bounds as the worker.
        _stopped = Task.WhenAll(_worker, EntityChangeDelivery.CancelInBackground(_stop));
        try
        {
            if (cancellationToken.IsCancellationRequested || grace <= TimeSpan.Zero)
            {
                throw new OperationCanceledException(cancellationToken);
            }

            await _stopped.WaitAsync(grace, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            _stopped = Task.WhenAll(_stopped, EntityChangeDelivery.CancelInBackground(_abort));
            await _delivery.WaitOrAbandonAsync(_stopped).ConfigureAwait(false);
        }

        lock (_gate)
        {
            _idle = true;
        }

        _observer?.LaneIdle(this);
    }

    public void Dispose()
    {
        _delivery.Dispose();
        _pollTimer.Dispose();
        if (_worker.IsCompleted && _stopped.IsCompleted)
        {
            // Else a delivery abandoned at stop still reads them (they hold no timer; collected with the lane).
            _stop.Dispose();
            _abort.Dispose();
        }
    }

    private void Set(ref bool field, bool value)
    {
        lock (_gate)
        {
            field = value;
        }

        Ring();
    }

    private void Wake(bool rung)
    {
        lock (_gate)
        {
            (_rung, _signals) = (_rung || rung, _signals + 1);
            _idle &= _stop.IsCancellationRequested;  // a stopped lane stays idle
            _doorbell.Writer.TryWrite(true);
        }
    }

    private async Task RunAsync()
    {
        try
        {
            while (await _doorbell.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                _doorbell.Reader.TryRead(out _);
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
                    StoreFailed(ex);  // what it claimed is released when the lease ends
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
            await _fullSync.ReleaseAsync().ConfigureAwait(false);
            await _fullSync.EndAsync().ConfigureAwait(false);
        }
    }

    private async Task PassAsync(bool rung)
    {
        await RefreshCountsAsync().ConfigureAwait(false);  // what woke the pass may have changed them
        await _fullSync.ResumeUnfinishedAsync().ConfigureAwait(false);
        var (skipped, after) = (0, 0L);
        while (!_stop.IsCancellationRequested)
        {
            var now = _time.GetUtcNow();
            bool paused;
            lock (_gate)
            {
                // After too many skips, a poll leaves the target alone until RetrySkippedAfter; a doorbell tries at once.
                if (!_enabled || (!rung && now < _skipsWaitUntil))
                {
                    return;
                }

                paused = _paused;
            }

            var options = _options;  // this page's settings, whatever changes while it is delivered
            var claim = new EntityChangeClaim(_identity.Owner, options.BatchSize, now, now + _identity.LeaseDuration, paused, after);
            var page = await _store.ClaimEntityChangesAsync(EntityType, TargetName, claim, CancellationToken.None).ConfigureAwait(false);
            if (page.Count == 0)
            {
                if (paused || !await _fullSync.ReadPageAsync(options.BatchSize, _stop.Token).ConfigureAwait(false))
                {
                    return;
                }

                await RefreshCountsAsync().ConfigureAwait(false);
                continue;
            }

            after = page[^1].Sequence;
            skipped += await _delivery.DeliverAsync(page, options, claim.LeaseUntil, HoldsUpserts, _abort.Token).ConfigureAwait(false);
            await RefreshCountsIfDueAsync().ConfigureAwait(false);
            if (skipped > options.MaxItemsToSkip)
            {
                SetError($"Skipped {skipped} changes, more than MaxItemsToSkip ({options.MaxItemsToSkip}); delivery to '{TargetName}' tries again in {options.RetrySkippedAfter} or when a change arrives.");
                EntitySyncLog.TooManySkips(_logger, EntityType, TargetName, skipped, options.MaxItemsToSkip);
                lock (_gate)
                {
                    _skipsWaitUntil = _time.GetUtcNow() + options.RetrySkippedAfter;
                }

                return;
            }
        }
    }

    // Written under the lock; a pause and a delivery are ordered by the delivery's lock (it reads this after putting its page in place).
    private bool HoldsUpserts() => Volatile.Read(ref _paused);
}
