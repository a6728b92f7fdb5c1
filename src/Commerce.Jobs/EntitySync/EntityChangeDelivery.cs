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
/// Delivers a lane's claimed pages of entity changes, one at a time, as record jobs deliver batches: through
/// <see cref="DeliveryAttempt{T}"/>, its retry-window pipeline and the target's health monitor; renews the leases while a
/// delivery runs longer than half a lease, and completes each page in the store once (delivered, skipped, failed, or
/// released unattempted when a pause or a stop cancels it).
/// </summary>
internal sealed class EntityChangeDelivery : IDisposable
{
    private readonly Lock _gate = new();
    private readonly string _type;
    private readonly string _target;
    private readonly IEntitySyncStore _store;
    private readonly EngineIdentity _identity;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<Exception> _storeFailed;
    private readonly EntitySyncPublishFence _writes;
    private readonly IDeliveryTarget<EntityChange> _typed;
    private readonly EngineObserver? _observer;
    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly ITimer _renewTimer;
    private Batch? _batch;  // guarded
    private Retry _retry;  // the worker's: the attempt and pipeline of the retry window in force, rebuilt when it changes

    public EntityChangeDelivery(string entityType, string targetName, IDeliveryTarget target, EntitySyncOptions options, IEntitySyncStore store, IServiceProvider services, TimeProvider time, ILogger logger, Action<Exception> storeFailed, EntitySyncPublishFence writes)
    {
        (_type, _target, _store, _time, _logger, _storeFailed, _writes) = (entityType, targetName, store, time, logger, storeFailed, writes);
        _identity = services.GetRequiredService<EngineIdentity>();
        _tags = [new("entity_type", entityType), new("target", targetName)];

        // Behind the target's health monitor, shared with record jobs: one concurrency limit and circuit breaker per target.
        var typed = NamedTargetAdapter<EntityChange>.For(target);
        if (services.GetService<TargetHealthRegistry>() is { } health)
        {
            typed = new HealthCheckedTarget<EntityChange>(typed, health.Get(targetName));
        }

        (_typed, _observer) = (typed, services.GetService<EngineObserver>());
        _retry = CreateRetry(options.RetryWindow);

        // Armed around each delivery, never at creation (a test clock that jumps to new timers sees only the code's own waits).
        _renewTimer = time.CreateTimer(static s => _ = ((EntityChangeDelivery)s!).RenewAsync(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Delivers a claimed page (released at once when <paramref name="holdUpserts"/> says so and it has upserts); returns how many were skipped.</summary>
    /// <param name="page">The claimed changes.</param>
    /// <param name="options">The settings in force when the page was claimed: its retry window, and when a change it skips is due again.</param>
    /// <param name="leaseUntil">Until when the claim leased them: the delivery is cancelled shortly before the lease (as renewed) ends.</param>
    /// <param name="holdUpserts">Whether upserts are held now (read after the page is in place, so a pause either sees it or is seen).</param>
    /// <param name="abort">Cancels the delivery (a stop's last step).</param>
    public async Task<int> DeliverAsync(IReadOnlyList<HeldEntityChange> page, EntitySyncOptions options, DateTimeOffset leaseUntil, Func<bool> holdUpserts, CancellationToken abort)
    {
        var retry = options.RetryWindow;
        if (_retry.Window.MaxRetries != retry.MaxRetries || _retry.Window.Window != retry.Window || _retry.Window.BaseDelay != retry.BaseDelay)
        {
            _retry = CreateRetry(retry);  // changed at run time: from this page on
        }

        var batch = new Batch([.. page.Select(static h => h.Change)], options.RetrySkippedAfter, _time, abort);
        batch.Lease.CancelAfter(UntilDeadline(leaseUntil));
        lock (_gate)
        {
            _batch = batch;
        }

        var outcomes = batch.HasUpserts && holdUpserts() ? null : await AttemptAsync(batch).ConfigureAwait(false);
        await SettleAsync(batch, outcomes).ConfigureAwait(false);
        lock (_gate)
        {
            _batch = null;
        }

        batch.Dispose();
        return outcomes?.Count(static o => o.Status == RecordStatus.Skipped) ?? 0;
    }

    /// <summary>Cancels the delivery in progress if it holds upserts (a pause); the task completes when it was released.</summary>
    public Task CancelUpserts()
    {
        lock (_gate)
        {
            return _batch is { HasUpserts: true } batch ? Task.WhenAll(batch.Settled.Task, CancelInBackground(batch.Cancel)) : Task.CompletedTask;
        }
    }

    public void Dispose() => _renewTimer.Dispose();

    /// <summary>Cancels <paramref name="source"/>; its callbacks run on the thread pool (the task completes after them, never faults).</summary>
    internal static Task CancelInBackground(CancellationTokenSource source)
    {
        try
        {
            return source.CancelAsync().ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        catch (ObjectDisposedException)
        {
            return Task.CompletedTask;  // ended meanwhile
        }
    }

    /// <summary>Waits for a cancelled delivery (or the store) to end, at most <see cref="EntitySyncDefaults.AbandonAfter"/>: then it is abandoned.</summary>
    public async Task WaitOrAbandonAsync(Task delivery)
    {
        try
        {
            await delivery.WaitAsync(EntitySyncDefaults.AbandonAfter, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            EntitySyncLog.DeliveryAbandoned(_logger, _type, _target, EntitySyncDefaults.AbandonAfter);
        }
    }

    /// <summary>Runs the page through the retry window; returns each change's outcome, or <see langword="null"/> when cancelled.</summary>
    private async Task<RecordOutcome[]?> AttemptAsync(Batch batch)
    {
        var outcomes = new RecordOutcome[batch.Changes.Length];
        var (attempt, pipeline) = (_retry.Attempt, _retry.Pipeline);
        attempt.Reset(batch.Changes, outcomes);
        _renewTimer.Change(_identity.LeaseDuration / 2, _identity.LeaseDuration / 2);
        var context = ResilienceContextPool.Shared.Get(batch.Cancel.Token);
        var (delivered, skipped, failed) = (0, 0, 0);
        try
        {
            await pipeline.ExecuteAsync(static (ctx, attempt) => attempt.DeliverAsync(ctx.CancellationToken), context, attempt).ConfigureAwait(false);
            (delivered, skipped, failed) = attempt.Finish();
        }
        catch (OperationCanceledException) when (batch.Cancel.IsCancellationRequested)
        {
            return null;  // paused or stopping: whether the target got it is unknown, so it is released (at least once)
        }
        catch (Exception ex)
        {
            // Not the target's answer (that is an outcome): the delivery itself broke. The page is skipped as a whole.
            Array.Fill(outcomes, new RecordOutcome(RecordStatus.Skipped, $"{ex.GetType().Name}: {ex.Message}"));
            skipped = outcomes.Length;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
            _renewTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        }

        JobsTelemetry.RecordsDelivered.Add(delivered, _tags);
        if (skipped + failed > 0)
        {
            JobsTelemetry.RecordsSkipped.Add(skipped, _tags);
            JobsTelemetry.RecordsFailed.Add(failed, _tags);
            var error = Array.Find(outcomes, static o => o.Status != RecordStatus.Delivered).Error;
            EntitySyncLog.DeliveryFailed(_logger, _type, _target, skipped, failed, attempt.GaveUp is { } reason && skipped > 0 ? $"{error} (retries given up: {reason})" : error);
        }

        return outcomes;
    }

    /// <summary>Completes a page in the store with its outcomes (none: released unattempted), once; a failure leaves it to the lease.</summary>
    private async Task SettleAsync(Batch batch, RecordOutcome[]? outcomes)
    {
        if (!batch.TrySettle())
        {
            return;
        }

        var completions = new EntityChangeCompletion[batch.Changes.Length];
        for (var i = 0; i < completions.Length; i++)
        {
            var outcome = outcomes?[i] ?? new RecordOutcome(RecordStatus.TransientFailure);
            completions[i] = new EntityChangeCompletion(batch.Changes[i], outcome.Status, OutsideText.Cap(outcome.Error));
        }

        var now = _time.GetUtcNow();
        try
        {
            // Not once the lane was retired: its target's state was cleared, and a late completion would put it back.
            await _writes.TryWriteAsync(() => _store.CompleteEntityChangesAsync(_type, _target, _identity.Owner, completions, now, now + batch.RetrySkippedAfter, CancellationToken.None)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _storeFailed(ex);  // still leased: claimed again once the lease ends (at least once, same idempotency keys)
        }
        finally
        {
            batch.Settled.TrySetResult();
        }
    }

    /// <summary>The attempt and pipeline of a retry window (a copy: a later change of the options does not reach a page under way).</summary>
    private Retry CreateRetry(RetryWindowOptions window)
    {
        var copy = new RetryWindowOptions { MaxRetries = window.MaxRetries, Window = window.Window, BaseDelay = window.BaseDelay };
        return new(copy, new DeliveryAttempt<EntityChange>(_type, _typed, static c => c.RecordId, copy, _time, _observer), DeliveryAttempt<EntityChange>.CreatePipeline(copy, _time, _tags));
    }

    /// <summary>
    /// How long a delivery may go on under a lease ending at <paramref name="leaseUntil"/>: until a margin before it, so that
    /// it is cancelled before another host may claim its changes (with clocks agreeing within the margin).
    /// </summary>
    private TimeSpan UntilDeadline(DateTimeOffset leaseUntil)
    {
        var left = leaseUntil - _time.GetUtcNow() - (_identity.LeaseDuration / 4);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>Renews the leases; only a renewal that succeeded and renewed rows moves the delivery's deadline (a lost lease ends it).</summary>
    private async Task RenewAsync()
    {
        Batch? batch;
        lock (_gate)
        {
            batch = _batch;
        }

        try
        {
            var until = _time.GetUtcNow() + _identity.LeaseDuration;
            if (await _store.RenewEntityLeasesAsync(_type, _target, _identity.Owner, until, CancellationToken.None).ConfigureAwait(false) > 0)
            {
                batch?.Lease.CancelAfter(UntilDeadline(until));
            }
        }
        catch (ObjectDisposedException)
        {
            // The delivery ended meanwhile.
        }
        catch (Exception ex)
        {
            _storeFailed(ex);
        }
    }

    /// <summary>A retry window in force, and the attempt and pipeline built over it.</summary>
    private readonly record struct Retry(RetryWindowOptions Window, DeliveryAttempt<EntityChange> Attempt, ResiliencePipeline<DeliveryAttempt<EntityChange>> Pipeline);

    /// <summary>A page being delivered: its changes, whether it holds upserts, when a change it skips is due again, its cancellation, and whether it was settled.</summary>
    private sealed class Batch : IDisposable
    {
        private int _settling;

        public Batch(EntityChange[] changes, TimeSpan retrySkippedAfter, TimeProvider time, CancellationToken abort)
        {
            (Changes, HasUpserts, RetrySkippedAfter) = (changes, Array.Exists(changes, static c => c.Kind == EntityChangeKind.Upsert), retrySkippedAfter);
            Lease = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
            Cancel = CancellationTokenSource.CreateLinkedTokenSource(abort, Lease.Token);
        }

        public EntityChange[] Changes { get; }

        /// <summary>Gets the source cancelled when the lease, as renewed, is about to end: the page is released, not completed.</summary>
        public CancellationTokenSource Lease { get; }

        public CancellationTokenSource Cancel { get; }

        public bool HasUpserts { get; }

        public TimeSpan RetrySkippedAfter { get; }

        public TaskCompletionSource Settled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TrySettle() => Interlocked.Exchange(ref _settling, 1) == 0;

        public void Dispose()
        {
            Cancel.Dispose();
            Lease.Dispose();
        }
    }
}
