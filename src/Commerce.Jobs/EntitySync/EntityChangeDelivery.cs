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
    private readonly EntitySyncOptions _options;
    private readonly IEntitySyncStore _store;
    private readonly EngineIdentity _identity;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<Exception> _storeFailed;
    private readonly DeliveryAttempt<EntityChange> _attempt;
    private readonly ResiliencePipeline<DeliveryAttempt<EntityChange>> _pipeline;
    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly ITimer _renewTimer;
    private Batch? _batch;  // guarded

    public EntityChangeDelivery(string entityType, string targetName, IDeliveryTarget target, EntitySyncOptions options, IEntitySyncStore store, IServiceProvider services, TimeProvider time, ILogger logger, Action<Exception> storeFailed)
    {
        (_type, _target, _options, _store, _time, _logger, _storeFailed) = (entityType, targetName, options, store, time, logger, storeFailed);
        _identity = services.GetRequiredService<EngineIdentity>();
        _tags = [new("entity_type", entityType), new("target", targetName)];

        // Behind the target's health monitor, shared with record jobs: one concurrency limit and circuit breaker per target.
        var typed = NamedTargetAdapter<EntityChange>.For(target);
        if (services.GetService<TargetHealthRegistry>() is { } health)
        {
            typed = new HealthCheckedTarget<EntityChange>(typed, health.Get(targetName));
        }

        _attempt = new DeliveryAttempt<EntityChange>(entityType, typed, static c => c.RecordId, options.RetryWindow, time, services.GetService<EngineObserver>());
        _pipeline = DeliveryAttempt<EntityChange>.CreatePipeline(options.RetryWindow, time, _tags);

        // Armed around each delivery, never at creation (a test clock that jumps to new timers sees only the code's own waits).
        _renewTimer = time.CreateTimer(static s => _ = ((EntityChangeDelivery)s!).RenewAsync(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Delivers a claimed page (released at once when <paramref name="holdUpserts"/> says so and it has upserts); returns how many were skipped.</summary>
    /// <param name="page">The claimed changes.</param>
    /// <param name="holdUpserts">Whether upserts are held now (read after the page is in place, so a pause either sees it or is seen).</param>
    /// <param name="abort">Cancels the delivery (a stop's last step).</param>
    public async Task<int> DeliverAsync(IReadOnlyList<HeldEntityChange> page, Func<bool> holdUpserts, CancellationToken abort)
    {
        var batch = new Batch([.. page.Select(static h => h.Change)], abort);
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

    /// <summary>Releases what an abandoned delivery claimed (a stop), unless it was settled meanwhile.</summary>
    public Task ReleaseAbandonedAsync()
    {
        Batch? batch;
        lock (_gate)
        {
            batch = _batch;
        }

        return batch is null ? Task.CompletedTask : SettleAsync(batch, null);
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
        _attempt.Reset(batch.Changes, outcomes);
        _renewTimer.Change(_identity.LeaseDuration / 2, _identity.LeaseDuration / 2);
        var context = ResilienceContextPool.Shared.Get(batch.Cancel.Token);
        var (delivered, skipped, failed) = (0, 0, 0);
        try
        {
            await _pipeline.ExecuteAsync(static (ctx, attempt) => attempt.DeliverAsync(ctx.CancellationToken), context, _attempt).ConfigureAwait(false);
            (delivered, skipped, failed) = _attempt.Finish();
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
            EntitySyncLog.DeliveryFailed(_logger, _type, _target, skipped, failed, _attempt.GaveUp is { } reason && skipped > 0 ? $"{error} (retries given up: {reason})" : error);
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
            await _store.CompleteEntityChangesAsync(_type, _target, _identity.Owner, completions, now, now + _options.RetrySkippedAfter, CancellationToken.None).ConfigureAwait(false);
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

    private async Task RenewAsync()
    {
        try
        {
            await _store.RenewEntityLeasesAsync(_type, _target, _identity.Owner, _time.GetUtcNow() + _identity.LeaseDuration, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _storeFailed(ex);
        }
    }

    /// <summary>A page being delivered: its changes, whether it holds upserts, its cancellation, and whether it was settled.</summary>
    private sealed class Batch(EntityChange[] changes, CancellationToken abort) : IDisposable
    {
        private int _settling;

        public EntityChange[] Changes => changes;

        public CancellationTokenSource Cancel { get; } = CancellationTokenSource.CreateLinkedTokenSource(abort);

        public bool HasUpserts { get; } = Array.Exists(changes, static c => c.Kind == EntityChangeKind.Upsert);

        public TaskCompletionSource Settled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TrySettle() => Interlocked.Exchange(ref _settling, 1) == 0;

        public void Dispose() => Cancel.Dispose();
    }
}
