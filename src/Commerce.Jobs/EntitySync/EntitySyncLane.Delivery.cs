using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Storage;
using Polly;

namespace Commerce.Jobs.EntitySync;

/// <summary>The lane's deliveries: one claimed batch at a time, its lease renewed while it runs, settled once; and the stop.</summary>
internal sealed partial class EntitySyncLane
{
    /// <summary>
    /// Stops the worker: a batch in progress may finish within <paramref name="grace"/>, then it is cancelled and, if the
    /// target ignores that, abandoned after <see cref="EntitySyncDefaults.AbandonAfter"/>; what was claimed and not
    /// settled is released in the store (delivered later, here or by another host). Returns within
    /// <paramref name="grace"/> plus twice that, whatever the target does.
    /// </summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        _pollTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

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

        Batch? abandoned;
        lock (_gate)
        {
            abandoned = _batch;
            _idle = true;
        }

        if (abandoned is not null)
        {
            // Not confirmed: released unattempted, so the next host (or this one restarted) delivers it at once.
            await WaitOrAbandonAsync(SettleAsync(abandoned, Released(abandoned.Changes)).AsTask()).ConfigureAwait(false);
        }

        _renewTimer.Dispose();
        _pollTimer.Dispose();
        _observer?.LaneIdle(this);
    }

    /// <summary>Releases the lane's timers and cancellation sources; call after <see cref="StopAsync"/>.</summary>
    public void Dispose()
    {
        _renewTimer.Dispose();
        _pollTimer.Dispose();
        if (_worker.IsCompleted && _stopped.IsCompleted)
        {
            // Else a delivery abandoned at stop still runs and reads them (they hold no timer; collected with the lane).
            _stop.Dispose();
            _abort.Dispose();
        }
    }

    /// <summary>
    /// Cancels <paramref name="source"/> at once; its callbacks run on the thread pool, and the task returned completes
    /// when they have run (to wait for, bounded). A callback's exception is theirs: it is not rethrown here.
    /// </summary>
    private static Task CancelInBackground(CancellationTokenSource source) =>
        source.CancelAsync().ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static EntityChangeCompletion[] Released(EntityChange[] changes) =>
        Array.ConvertAll(changes, static c => new EntityChangeCompletion(c, RecordStatus.TransientFailure));

    /// <summary>Waits for a cancelled delivery to end, at most <see cref="EntitySyncDefaults.AbandonAfter"/> on the lane's clock.</summary>
    private async Task WaitOrAbandonAsync(Task delivery)
    {
        try
        {
            await delivery.WaitAsync(EntitySyncDefaults.AbandonAfter, _time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            EntitySyncLog.DeliveryAbandoned(_logger, EntityType, TargetName, EntitySyncDefaults.AbandonAfter);
        }
    }

    /// <summary>Delivers one claimed page within the retry window and settles each change in the store; returns how many were skipped.</summary>
    private async ValueTask<int> DeliverAsync(IReadOnlyList<HeldEntityChange> page)
    {
        var changes = new EntityChange[page.Count];
        for (var i = 0; i < changes.Length; i++)
        {
            changes[i] = page[i].Change;
        }

        var batch = new Batch(changes, CancellationTokenSource.CreateLinkedTokenSource(_abort.Token));
        bool cancelled;
        lock (_gate)
        {
            _batch = batch;

            // Paused since the claim: its upserts are released at once (PauseAsync may have returned already).
            cancelled = _paused && batch.HasUpserts;
        }

        string? broken = null;
        _attempt.Reset(changes, _outcomes);
        if (!cancelled)
        {
            var renewEvery = _identity.LeaseDuration / 2;
            _renewTimer.Change(renewEvery, renewEvery);
            var context = ResilienceContextPool.Shared.Get(batch.Token);
            try
            {
                await _pipeline.ExecuteAsync(static (ctx, state) => state.DeliverAsync(ctx.CancellationToken), context, _attempt).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (batch.Token.IsCancellationRequested)
            {
                // Paused or stopping: whether the target got the batch is unknown, so all of it is released (at least once).
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
                _renewTimer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            }
        }

        int delivered = 0, skipped = 0, failed = 0;
        if (broken is not null)
        {
            Array.Fill(_outcomes, new RecordOutcome(RecordStatus.Skipped, broken), 0, changes.Length);
            skipped = changes.Length;
        }
        else if (!cancelled)
        {
            (delivered, skipped, failed) = _attempt.Finish();
        }

        var completions = cancelled ? Released(changes) : new EntityChangeCompletion[changes.Length];
        string? error = null;
        for (var i = 0; i < changes.Length && !cancelled; i++)
        {
            var outcome = _outcomes[i];
            completions[i] = new EntityChangeCompletion(changes[i], outcome.Status, OutsideText.Cap(outcome.Error));
            error ??= outcome.Status == RecordStatus.Delivered ? null : $"{changes[i]}: {outcome.Error}";
        }

        try
        {
            await SettleAsync(batch, completions).ConfigureAwait(false);
            if (cancelled)
            {
                // The pause's caller reads the status next: the released changes are counted as held.
                await RefreshCountsAsync().ConfigureAwait(false);
            }
        }
        finally
        {
            Array.Clear(_outcomes, 0, changes.Length);
            lock (_gate)
            {
                _batch = null;
            }

            batch.Done.TrySetResult();
            batch.Dispose();
            if (cancelled)
            {
                Ring();
            }
        }

        JobsTelemetry.RecordsDelivered.Add(delivered, _typeTag, _targetTag);
        if (skipped + failed > 0)
        {
            JobsTelemetry.RecordsSkipped.Add(skipped, _typeTag, _targetTag);
            JobsTelemetry.RecordsFailed.Add(failed, _typeTag, _targetTag);
            EntitySyncLog.DeliveryFailed(_logger, EntityType, TargetName, skipped, failed, _attempt.GaveUp is { } reason && skipped > 0 ? $"{error} (retries given up: {reason})" : error);
        }

        return skipped;
    }

    /// <summary>Completes a batch in the store, once (the worker and a stop that abandoned it may both try).</summary>
    private async ValueTask SettleAsync(Batch batch, EntityChangeCompletion[] completions)
    {
        if (!batch.TrySettle())
        {
            return;
        }

        var now = _time.GetUtcNow();
        try
        {
            await _store.CompleteEntityChangesAsync(EntityType, TargetName, _identity.Owner, completions, now, now + _options.RetrySkippedAfter, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Not settled: the leases run out and the changes are claimed again (at least once, with the same idempotency keys).
            StoreFailed(ex);
        }
    }

    /// <summary>Extends this host's leases of the lane's claimed changes while a delivery runs longer than half a lease.</summary>
    private async Task RenewAsync()
    {
        try
        {
            await _store.RenewEntityLeasesAsync(EntityType, TargetName, _identity.Owner, _time.GetUtcNow() + _identity.LeaseDuration, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            StoreFailed(ex);
        }
    }

    /// <summary>The page being delivered: its changes, whether it holds upserts (a pause cancels it), and whether it was settled.</summary>
    private sealed class Batch(EntityChange[] changes, CancellationTokenSource cancel) : IDisposable
    {
        private int _settled;

        public EntityChange[] Changes => changes;

        public CancellationToken Token { get; } = cancel.Token;

        public bool HasUpserts { get; } = Array.Exists(changes, static c => c.Kind == EntityChangeKind.Upsert);

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TrySettle() => Interlocked.Exchange(ref _settled, 1) == 0;

        /// <summary>Cancels the delivery (see <see cref="EntitySyncLane.CancelInBackground(CancellationTokenSource)"/>), unless it ended.</summary>
        public Task CancelInBackground()
        {
            try
            {
                return EntitySyncLane.CancelInBackground(cancel);
            }
            catch (ObjectDisposedException)
            {
                return Task.CompletedTask;
            }
        }

        public void Dispose() => cancel.Dispose();
    }
}
