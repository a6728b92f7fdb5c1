using System.Diagnostics;
using System.Threading.Channels;
using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Records;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Targets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Polly;

namespace Commerce.Jobs.EntitySync;

/// <summary>
/// The synchronization of one entity type to one target: the consolidated set of changes waiting for the target, and
/// one worker that delivers them in batches through the retry window, so each target progresses on its own.
/// </summary>
/// <remarks>
/// The rules — which change wins, what a pause holds, what a delete drops — are <see cref="EntityConsolidation"/>'s;
/// the lane asks it what to deliver and tells it how deliveries ended. Publishers never wait for the worker: they update
/// the set under a lock and ring a doorbell, a bounded channel of one with <see cref="BoundedChannelFullMode.DropWrite"/>
/// (rings while the worker is busy coalesce into one more pass).
/// </remarks>
internal sealed class EntitySyncLane : IDisposable
{
    private const long NoVersion = long.MinValue;

    private readonly Lock _gate = new();
    private readonly EntityConsolidation _consolidation = new();  // guarded by _gate
    private readonly Channel<bool> _doorbell = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
        SingleWriter = false,
    });

    private readonly IEntitySyncStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly IServiceProvider _services;
    private readonly EntitySyncOptions _options;
    private readonly string[] _targetNames;
    private readonly DeliveryAttempt<EntityChange> _attempt;
    private readonly ResiliencePipeline<DeliveryAttempt<EntityChange>> _pipeline;
    private readonly EntityChange[] _batch;
    private readonly RecordOutcome[] _outcomes;
    private readonly KeyValuePair<string, object?> _typeTag;
    private readonly KeyValuePair<string, object?> _targetTag;
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly ITimer _retryTimer;
    private readonly EngineObserver? _observer;
    private Task _worker = Task.CompletedTask;
    private Task _stopped = Task.CompletedTask;  // the worker and the cancellations of a stop

    // Guarded by _gate.
    private bool _enabled = true;
    private bool _idle;
    private long _signals;
    private CancellationTokenSource? _batchCancel;
    private TaskCompletionSource? _batchDone;
    private bool _batchHasUpserts;
    private Func<IServiceProvider, IEntitySource>? _fullSyncRequest;
    private bool _fullSyncRunning;
    private long _deliveredCount;
    private long _skippedCount;
    private long _failedCount;
    private long? _lastDeliveredVersion;
    private DateTimeOffset? _lastDeliveredAt;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private List<EntityChange>? _owedDelivered;   // delivered, but the store could not be told yet
    private List<EntityChange>? _owedForgotten;   // dropped, but the store could not be told yet

    // Owned by the worker.
    private IAsyncEnumerator<EntityChange>? _fullSync;
    private AsyncServiceScope? _fullSyncScope;

    public EntitySyncLane(string entityType, string targetName, IDeliveryTarget target, EntitySyncOptions options, IEntitySyncStore store, IServiceProvider services, TimeProvider time, ILogger logger)
    {
        EntityType = entityType;
        TargetName = targetName;
        _targetNames = [targetName];
        _options = options;
        _store = store;
        _services = services;
        _time = time;
        _logger = logger;
        _typeTag = new("entity_type", entityType);
        _targetTag = new("target", targetName);
        _batch = new EntityChange[options.BatchSize];
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
        _retryTimer = time.CreateTimer(static s => ((EntitySyncLane)s!).Ring(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string EntityType { get; }

    public string TargetName { get; }

    /// <summary>Reads what the store holds for this type and target (accepted before a restart) and merges it in.</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        var delivered = await _store.GetDeliveredEntityVersionsAsync(EntityType, TargetName, cancellationToken).ConfigureAwait(false);
        var held = await _store.GetEntityChangesAsync(EntityType, TargetName, cancellationToken).ConfigureAwait(false);
        List<EntityChange>? forget = null;
        lock (_gate)
        {
            foreach (var (id, version) in delivered)
            {
                _consolidation.RestoreDelivered(id, version, ref forget);
                _lastDeliveredVersion = Math.Max(_lastDeliveredVersion ?? NoVersion, version);
            }

            // In version order, as they were published: the same rules then consolidate them again.
            foreach (var change in held.OrderBy(c => c.Version))
            {
                if (_consolidation.Offer(change, fromSource: false, ref forget) == EntityConsolidation.Acceptance.Stale)
                {
                    (forget ??= []).Add(change);
                }
            }

            AssertInvariants();
            RingLocked();
        }

        await ForgetAsync(forget, CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Starts the worker.</summary>
    public void Start()
    {
        _observer?.LaneStarted(this);
        _worker = Task.Run(RunAsync);
        Ring();
    }

    /// <summary>Offers changes to the target; stale ones are dropped (and forgotten by the store when they were published).</summary>
    /// <param name="changes">The changes, all of this lane's type.</param>
    /// <param name="fromSource">Read from the entity source by a full or targeted sync: not held in the store, and delivered again at the version the target already has (a repair).</param>
    /// <param name="accepted">Set to <see langword="true"/> at the index of each change this lane accepted.</param>
    /// <param name="cancellationToken">Cancels the store write.</param>
    public async ValueTask OfferAsync(IReadOnlyList<EntityChange> changes, bool fromSource, bool[]? accepted, CancellationToken cancellationToken)
    {
        List<EntityChange>? forget = null;
        lock (_gate)
        {
            for (var i = 0; i < changes.Count; i++)
            {
                var acceptance = _consolidation.Offer(changes[i], fromSource, ref forget);
                if (acceptance == EntityConsolidation.Acceptance.Accepted)
                {
                    if (accepted is not null)
                    {
                        accepted[i] = true;
                    }
                }
                else if (acceptance == EntityConsolidation.Acceptance.Stale && !fromSource)
                {
                    // Held by the store when published, but the target will not get it.
                    (forget ??= []).Add(changes[i]);
                }
            }

            AssertInvariants();
            RingLocked();
        }

        await ForgetAsync(forget, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Holds upserts from now on (at once); returns when no upsert is being delivered (a batch holding upserts is
    /// cancelled and they wait; one of deletes only goes on), or when a target that ignores the cancellation was given
    /// <see cref="EntitySyncDefaults.AbandonAfter"/>.
    /// </summary>
    public async Task PauseAsync()
    {
        CancellationTokenSource? cancel = null;
        var done = Task.CompletedTask;
        lock (_gate)
        {
            _consolidation.Paused = true;
            if (_batchHasUpserts && _batchDone is { } batchDone)
            {
                cancel = _batchCancel;
                done = batchDone.Task;
            }
        }

        if (cancel is not null)
        {
            try
            {
                // Its callbacks run on the thread pool: one that blocks is waited for no longer than the delivery.
                done = Task.WhenAll(done, CancelInBackground(cancel));
            }
            catch (ObjectDisposedException)
            {
                // The batch finished meanwhile.
            }
        }

        await WaitOrAbandonAsync(done).ConfigureAwait(false);
    }

    /// <summary>Delivers the held upserts again.</summary>
    public void Resume()
    {
        lock (_gate)
        {
            _consolidation.Paused = false;
            RingLocked();
        }
    }

    /// <summary>Sets the pause without waiting for a delivery in progress (for a lane that is not started yet).</summary>
    public void SetPaused(bool paused)
    {
        lock (_gate)
        {
            _consolidation.Paused = paused;
        }
    }

    public void SetEnabled(bool enabled)
    {
        lock (_gate)
        {
            _enabled = enabled;
            RingLocked();
        }
    }

    /// <summary>Asks for a full sync; one already requested or running continues instead.</summary>
    public void RequestFullSync(Func<IServiceProvider, IEntitySource> source)
    {
        lock (_gate)
        {
            if (_fullSyncRunning)
            {
                return;
            }

            _fullSyncRequest = source;
            _fullSyncRunning = true;
            RingLocked();
        }
    }

    public EntitySyncStatus GetStatus(DateTimeOffset? pausedSince)
    {
        lock (_gate)
        {
            return new EntitySyncStatus
            {
                EntityType = EntityType,
                TargetName = TargetName,
                PendingCount = _consolidation.Pending,
                LastDeliveredVersion = _lastDeliveredVersion,
                LastDeliveredAt = _lastDeliveredAt,
                PausedSince = pausedSince,
                LastError = _lastError,
                LastErrorAt = _lastErrorAt,
                DeliveredCount = _deliveredCount,
                SkippedCount = _skippedCount,
                FailedCount = _failedCount,
                FullSyncRunning = _fullSyncRunning,
            };
        }
    }

    /// <summary>
    /// Gets a value indicating whether the worker waits with nothing it could deliver now (or the lane stopped). Turning
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

    /// <summary>
    /// Stops the worker: a batch in progress may finish within <paramref name="grace"/>, then it is cancelled and, if the
    /// target ignores that, abandoned after <see cref="EntitySyncDefaults.AbandonAfter"/>; what was not delivered stays
    /// in the store. Returns within <paramref name="grace"/> plus that, whatever the target does.
    /// </summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        // The cancellation callbacks run on the thread pool: one that blocks (a source's or a target's driver sending its
        // cancel request synchronously) is waited for within the same bounds as the worker, never longer.
        _stopped = Task.WhenAll(_worker, CancelInBackground(_stop));
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
            _stopped = Task.WhenAll(_stopped, CancelInBackground(_abort));
            await WaitOrAbandonAsync(_stopped).ConfigureAwait(false);
        }

        _retryTimer.Dispose();
        lock (_gate)
        {
            _idle = true;
        }

        _observer?.LaneIdle(this);
    }

    /// <summary>Releases the lane's timer and cancellation sources; call after <see cref="StopAsync"/>.</summary>
    public void Dispose()
    {
        _retryTimer.Dispose();
        if (_worker.IsCompleted && _stopped.IsCompleted)
        {
            // Else a delivery abandoned at stop still runs and reads them (they hold no timer; collected with the lane).
            _stop.Dispose();
            _abort.Dispose();
        }
    }

    /// <summary>Waits for a cancelled delivery to end, at most <see cref="EntitySyncDefaults.AbandonAfter"/> on the lane's clock.</summary>
    private async Task WaitOrAbandonAsync(Task delivery)
    {
        try
        {
            await delivery.WaitAsync(EntitySyncDefaults.AbandonAfter, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Not confirmed: its changes stay held in the store (and here), and its delivered version is not recorded.
            EntitySyncLog.DeliveryAbandoned(_logger, EntityType, TargetName, EntitySyncDefaults.AbandonAfter);
        }
    }

    /// <summary>
    /// Cancels <paramref name="source"/> at once; its callbacks run on the thread pool, and the task returned completes
    /// when they have run (to wait for, bounded). A callback's exception is theirs: it is not rethrown here.
    /// </summary>
    private static Task CancelInBackground(CancellationTokenSource source) =>
        source.CancelAsync().ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private void Ring()
    {
        lock (_gate)
        {
            RingLocked();
        }
    }

    private void RingLocked()
    {
        _signals++;
        // A stopped lane delivers nothing more: what is offered to it stays in the store, and it stays idle.
        _idle &= _stop.IsCancellationRequested;
        _doorbell.Writer.TryWrite(true);
    }

    private async Task RunAsync()
    {
        var reader = _doorbell.Reader;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                reader.TryRead(out _);
                try
                {
                    await PassAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (!_stop.IsCancellationRequested)
                {
                    // Keep the worker: log, and try again after RetrySkippedAfter (or at the next change).
                    EntitySyncLog.LaneFailed(_logger, EntityType, TargetName, ex);
                    SetError($"Delivery failed: {ex.GetType().Name}: {ex.Message}");
                    lock (_gate)
                    {
                        _retryTimer.Change(_options.RetrySkippedAfter, Timeout.InfiniteTimeSpan);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex)
        {
            EntitySyncLog.LaneFailed(_logger, EntityType, TargetName, ex);
            SetError($"Delivery stopped: {ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            await EndFullSyncAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Delivers what can be delivered now, batch after batch, then the full sync's next entities; stops early after too many skips.</summary>
    private async Task PassAsync()
    {
        await SettleOwedAsync().ConfigureAwait(false);
        long start;
        lock (_gate)
        {
            start = _signals;
            _consolidation.RequeueDeferred();
        }

        var skipped = 0;
        var stoppedOnSkips = false;
        while (!_stop.IsCancellationRequested)
        {
            List<EntityChange>? forget = null;
            int count;
            CancellationToken token = default;
            lock (_gate)
            {
                count = Take(ref forget);
                AssertInvariants();
                if (count > 0)
                {
                    _batchCancel = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
                    _batchDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    token = _batchCancel.Token;
                }
            }

            await ForgetAsync(forget, CancellationToken.None).ConfigureAwait(false);
            if (count == 0)
            {
                if (await PullFullSyncAsync().ConfigureAwait(false))
                {
                    continue;
                }

                // Nothing left to read or deliver: a full sync is done once what it read went out, not when reading ended.
                lock (_gate)
                {
                    if (_fullSync is null && _fullSyncRequest is null)
                    {
                        _fullSyncRunning = false;
                    }
                }

                break;
            }

            skipped += await DeliverAsync(count, token).ConfigureAwait(false);
            if (skipped > _options.MaxItemsToSkip)
            {
                stoppedOnSkips = true;
                SetError($"Skipped {skipped} changes, more than MaxItemsToSkip ({_options.MaxItemsToSkip}); delivery to '{TargetName}' tries again in {_options.RetrySkippedAfter} or when a change arrives.");
                EntitySyncLog.TooManySkips(_logger, EntityType, TargetName, skipped, _options.MaxItemsToSkip);
                break;
            }
        }

        var idle = false;
        lock (_gate)
        {
            if ((_consolidation.HasDeferred || stoppedOnSkips || _owedDelivered is not null || _owedForgotten is not null) && !_stop.IsCancellationRequested)
            {
                _retryTimer.Change(_options.RetrySkippedAfter, Timeout.InfiniteTimeSpan);
            }

            if (_signals == start)
            {
                _idle = idle = true;
            }
        }

        if (idle)
        {
            _observer?.LaneIdle(this);
        }
    }

    /// <summary>Takes the next batch: deletes first (never paused), then upserts unless paused. Called under the lock.</summary>
    private int Take(ref List<EntityChange>? forget)
    {
        if (!_enabled)
        {
            return 0;
        }

        var count = _consolidation.Take(_batch, ref forget);
        _batchHasUpserts = Array.FindIndex(_batch, 0, count, static c => c.Kind == EntityChangeKind.Upsert) >= 0;
        return count;
    }

    /// <summary>Delivers one batch within the retry window and settles each change; returns how many were skipped.</summary>
    private async ValueTask<int> DeliverAsync(int count, CancellationToken cancellationToken)
    {
        var records = new ReadOnlyMemory<EntityChange>(_batch, 0, count);
        _attempt.Reset(records, _outcomes);
        var cancelled = false;
        string? broken = null;
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            await _pipeline.ExecuteAsync(static (ctx, state) => state.DeliverAsync(ctx.CancellationToken), context, _attempt).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Paused or stopping: whether the target got the batch is unknown, so all of it waits (at least once).
            cancelled = true;
        }
        catch (Exception ex)
        {
            // Not the target's answer (that is an outcome): the delivery itself broke. The batch is skipped as a whole.
            broken = $"{ex.GetType().Name}: {ex.Message}";
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }

        int delivered = 0, skipped = 0, failed = 0;
        if (broken is not null)
        {
            Array.Fill(_outcomes, new RecordOutcome(RecordStatus.Skipped, broken), 0, count);
            skipped = count;
        }
        else if (!cancelled)
        {
            (delivered, skipped, failed) = _attempt.Finish();
        }

        List<EntityChange>? deliveredChanges = delivered > 0 ? new(delivered) : null;
        List<EntityChange>? forget = null;
        string? error = null;
        TaskCompletionSource? done;
        CancellationTokenSource? batchCancel;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            for (var i = 0; i < count; i++)
            {
                var change = _batch[i];
                var outcome = cancelled ? new RecordOutcome(RecordStatus.Skipped) : _outcomes[i];
                switch (outcome.Status)
                {
                    case RecordStatus.Delivered:
                        _consolidation.Delivered(change);
                        _deliveredCount++;
                        _lastDeliveredVersion = Math.Max(_lastDeliveredVersion ?? NoVersion, change.Version);
                        _lastDeliveredAt = now;
                        deliveredChanges!.Add(change);
                        break;
                    case RecordStatus.PermanentFailure:
                        _consolidation.Failed(change, ref forget);
                        _failedCount++;
                        error = $"{change} was rejected: {outcome.Error}";
                        break;
                    default:
                        if (!cancelled)
                        {
                            _skippedCount++;
                            error ??= $"{change} was skipped after its retries: {outcome.Error}";
                        }

                        _consolidation.Release(change, requeue: cancelled, ref forget);
                        break;
                }
            }

            if (error is not null)
            {
                _lastError = _attempt.GaveUp is { } reason && skipped > 0 ? $"{error} (retries given up: {reason})" : error;
                _lastErrorAt = now;
            }

            AssertInvariants();
            Array.Clear(_batch, 0, count);
            done = _batchDone;
            batchCancel = _batchCancel;
            _batchDone = null;
            _batchCancel = null;
            _batchHasUpserts = false;
            if (cancelled)
            {
                RingLocked();
            }
        }

        done?.TrySetResult();
        batchCancel?.Dispose();
        JobsTelemetry.RecordsDelivered.Add(delivered, _typeTag, _targetTag);
        if (skipped + failed > 0)
        {
            JobsTelemetry.RecordsSkipped.Add(skipped, _typeTag, _targetTag);
            JobsTelemetry.RecordsFailed.Add(failed, _typeTag, _targetTag);
            EntitySyncLog.DeliveryFailed(_logger, EntityType, TargetName, skipped, failed, error);
        }

        if (deliveredChanges is not null)
        {
            try
            {
                await _store.MarkEntityChangesDeliveredAsync(TargetName, deliveredChanges, _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // Delivered but still held: told again later (or delivered again after a restart: at least once, same idempotency keys).
                Owe(deliveredChanges, delivered: true, ex);
            }
        }

        await ForgetAsync(forget, CancellationToken.None).ConfigureAwait(false);
        return skipped;
    }

    /// <summary>Reads the full sync's next batch of entities into the lane; returns whether it read any.</summary>
    private async ValueTask<bool> PullFullSyncAsync()
    {
        Func<IServiceProvider, IEntitySource>? request;
        lock (_gate)
        {
            if (!_enabled || _consolidation.Paused)
            {
                return false;
            }

            request = _fullSyncRequest;
            _fullSyncRequest = null;
        }

        if (_fullSync is null)
        {
            if (request is null)
            {
                return false;
            }

            try
            {
                var scope = _services.CreateAsyncScope();
                _fullSyncScope = scope;
                _fullSync = request(scope.ServiceProvider).ReadAllAsync(EntityType, _stop.Token).GetAsyncEnumerator(_stop.Token);
                EntitySyncLog.FullSyncStarted(_logger, EntityType, TargetName);
            }
            catch (Exception ex)
            {
                SetError($"Full sync failed: {ex.GetType().Name}: {ex.Message}");
                await EndFullSyncAsync().ConfigureAwait(false);
                return false;
            }
        }

        var read = new List<EntityChange>(_batch.Length);
        var ended = false;
        try
        {
            while (read.Count < _batch.Length)
            {
                if (!await _fullSync.MoveNextAsync().ConfigureAwait(false))
                {
                    ended = true;
                    break;
                }

                if (_fullSync.Current is { } change && string.Equals(change.EntityType, EntityType, StringComparison.OrdinalIgnoreCase))
                {
                    read.Add(change);
                }
                else
                {
                    SetError($"Full sync: the entity source returned {(object?)_fullSync.Current ?? "null"} for a sync of '{EntityType}'; ignored.");
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            ended = true;
        }
        catch (Exception ex)
        {
            SetError($"Full sync failed: {ex.GetType().Name}: {ex.Message}");
            EntitySyncLog.FullSyncFailed(_logger, EntityType, TargetName, ex);
            ended = true;
        }

        if (read.Count > 0)
        {
            await OfferAsync(read, fromSource: true, null, CancellationToken.None).ConfigureAwait(false);
        }

        if (ended)
        {
            await EndFullSyncAsync().ConfigureAwait(false);
        }

        return read.Count > 0 || !ended;
    }

    private async ValueTask EndFullSyncAsync()
    {
        if (_fullSync is { } enumerator)
        {
            _fullSync = null;
            try
            {
                await enumerator.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                EntitySyncLog.FullSyncFailed(_logger, EntityType, TargetName, ex);
            }

            EntitySyncLog.FullSyncEnded(_logger, EntityType, TargetName);
        }

        if (_fullSyncScope is { } scope)
        {
            _fullSyncScope = null;
            await scope.DisposeAsync().ConfigureAwait(false);
        }

    }

    /// <summary>
    /// Checks, in debug builds, what the lock guards: the consolidation's invariants (<see cref="EntityConsolidation.FindViolation"/>),
    /// and no count is negative. Called under the lock after each change to them.
    /// </summary>
    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_gate.IsHeldByCurrentThread, "The lane's invariants are checked under its lock.");
        _consolidation.AssertInvariants();
        Debug.Assert(_deliveredCount >= 0 && _skippedCount >= 0 && _failedCount >= 0, "A delivery count is negative.");
    }

    private async ValueTask ForgetAsync(List<EntityChange>? forget, CancellationToken cancellationToken)
    {
        if (forget is null)
        {
            return;
        }

        try
        {
            await _store.RemoveEntityChangesAsync(TargetName, forget, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Still held: forgotten again later (or merged and dropped again after a restart).
            Owe(forget, delivered: false, ex);
        }
    }

    /// <summary>Keeps what the store could not be told, to tell it at the next pass (at the latest after <see cref="EntitySyncOptions.RetrySkippedAfter"/>).</summary>
    private void Owe(List<EntityChange> changes, bool delivered, Exception ex)
    {
        StoreFailed(ex);
        lock (_gate)
        {
            if (delivered)
            {
                (_owedDelivered ??= []).AddRange(changes);
            }
            else
            {
                (_owedForgotten ??= []).AddRange(changes);
            }

            if (!_stop.IsCancellationRequested)
            {
                _retryTimer.Change(_options.RetrySkippedAfter, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Tells the store what it could not be told before (both writes are idempotent and never touch a newer held change).</summary>
    private async ValueTask SettleOwedAsync()
    {
        List<EntityChange>? delivered, forgotten;
        lock (_gate)
        {
            (delivered, forgotten) = (_owedDelivered, _owedForgotten);
            (_owedDelivered, _owedForgotten) = (null, null);
        }

        if (delivered is not null)
        {
            try
            {
                await _store.MarkEntityChangesDeliveredAsync(TargetName, delivered, _time.GetUtcNow(), CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Owe(delivered, delivered: true, ex);
            }
        }

        await ForgetAsync(forgotten, CancellationToken.None).ConfigureAwait(false);
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
            _lastError = error;
            _lastErrorAt = _time.GetUtcNow();
        }
    }
}
