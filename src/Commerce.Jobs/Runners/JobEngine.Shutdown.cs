using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.Internal;

namespace Commerce.Jobs.Runners;

/// <summary>
/// Bounded, graceful shutdown: no new runs; running ones finish within the grace period
/// (<see cref="CommerceJobsOptions.ShutdownTimeout"/>, cut short by the host's stop token), then are cancelled; a run
/// that still does not return within half of <see cref="LastSecond"/> is abandoned — recorded Cancelled, its caller
/// answered, its worker no longer awaited; the failure notifiers' queue is drained in what is left of the grace period (or
/// of <see cref="LastSecond"/>; once the host's stop token fires, at most <see cref="LastSecond"/> more). Stopping never
/// takes longer than the grace period and <see cref="LastSecond"/>.
/// </summary>
internal sealed partial class JobEngine
{
    /// <summary>
    /// How long stopping may take after the grace period (or the host's stop token): half for cancelled runs to
    /// return, the rest for the records of abandoned runs and the operator changes to reach the store.
    /// </summary>
    internal static readonly TimeSpan LastSecond = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Stops the engine; never throws, and returns within the grace period and <see cref="LastSecond"/>. Called again
    /// (by <see cref="DisposeAsync"/>, or while stopping), it returns the same stop.
    /// </summary>
    /// <param name="cancellationToken">The host's stop token: when it fires, running jobs are cancelled at once.</param>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopGate)
        {
            return _stop ??= StopOnceAsync(cancellationToken);
        }
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        // First the jobs: from here no run starts and a run asked for by hand is refused.
        foreach (var entry in _entriesByName)
        {
            entry.Close();
        }

        if (Interlocked.CompareExchange(ref _state, Stopping, Running) != Running)
        {
            if (Interlocked.CompareExchange(ref _state, Stopped, Created) == Created)
            {
                // Never started: runs asked for before start will never run; their callers are told.
                foreach (var entry in _entriesByName)
                {
                    entry.CancelWaiting();
                }
            }

            return;
        }

        var graceEnds = _time.GetUtcNow() + _options.ShutdownTimeout;
        // Cancellation callbacks run on the thread pool: one that blocks (a store driver's synchronous cancel request to a
        // database it cannot reach) is not awaited past the deadline.
        var stoppingScheduler = _stopScheduler.CancelAsync();
        // The scheduler and the control refresh end on their token; a store read that ignores it is not awaited further.
        await WaitUntilAsync(Task.WhenAll(_scheduler, _controlReader), graceEnds, null, cancellationToken).ConfigureAwait(false);

        // No new runs: queued ones are dropped by the workers, held ones here.
        _runs.Writer.TryComplete();
        foreach (var entry in _entriesByName)
        {
            entry.CancelWaiting();
        }

        // The workers, then the history writes of the runs they ended (a run's room is freed before its write completes).
        var workers = FinishAsync(_workers);
        var cancelling = Task.CompletedTask;
        DateTimeOffset deadline;
        try
        {
            if (await WaitUntilAsync(workers, graceEnds, null, cancellationToken).ConfigureAwait(false))
            {
                deadline = _time.GetUtcNow() + LastSecond;
            }
            else
            {
                Log.ShutdownTimedOut(_logger, _options.ShutdownTimeout);
                // The runs' cancellation callbacks run on the thread pool: one that blocks is not awaited past the deadline.
                cancelling = _cancelRuns.CancelAsync();
                var cancelledAt = _time.GetUtcNow();
                deadline = cancelledAt + LastSecond;
                if (!await WaitUntilAsync(workers, cancelledAt + (LastSecond / 2), null, CancellationToken.None).ConfigureAwait(false))
                {
                    await AbandonRunsAsync(deadline).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            JobsTelemetry.RemoveEngine(this);
        }


        // Operator changes made up to now reach the store: a few quick writes, so the host's stop token (fired when the
        // runs took the whole grace period) does not cut them short; a store that hangs is given until the deadline.
        _controlChanges.Writer.TryComplete();
        await WaitUntilAsync(_controlWriter, deadline, "Saving the operator changes (paused, disabled)", CancellationToken.None).ConfigureAwait(false);
        await WaitUntilAsync(cancelling, deadline, "Cancelling the runs", CancellationToken.None).ConfigureAwait(false);
        await WaitUntilAsync(stoppingScheduler, deadline, "Cancelling the scheduler and the control refresh", CancellationToken.None).ConfigureAwait(false);

        // The notices of the runs that ended (and of targets that broke) reach the notifiers while the bound allows: the
        // rest of the grace period, or the last second; when the host's stop token fires (before or during the drain)
        // they get at most the last second more. Past it the notifiers' token is cancelled and they are no longer awaited.
        _notifications.Complete();
        var notifyUntil = graceEnds > deadline && !cancellationToken.IsCancellationRequested ? graceEnds : deadline;
        var drained = !cancellationToken.IsCancellationRequested
            && await WaitUntilAsync(_notifications.Completion, notifyUntil, null, cancellationToken).ConfigureAwait(false);
        if (!drained && cancellationToken.IsCancellationRequested)
        {
            var lastUntil = _time.GetUtcNow() + LastSecond;
            drained = await WaitUntilAsync(_notifications.Completion, lastUntil < notifyUntil ? lastUntil : notifyUntil, null, CancellationToken.None).ConfigureAwait(false);
        }

        if (!drained)
        {
            Log.StopAbandoned(_logger, "Telling the failure notifiers");
            _ = _notifications.AbandonAsync();
        }

        Volatile.Write(ref _state, Stopped);
        Log.EngineStopped(_logger);
    }

    /// <summary>Stops the engine (or awaits the stop in progress, bounded as it is), then releases it.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            JobsTelemetry.RemoveEngine(this);
        }

        _stopScheduler.Dispose();
        _cancelRuns.Dispose();
    }

    /// <summary>Writes operator changes to the store, one at a time and in order; a failed write is logged, never thrown.</summary>
    private async Task WriteControlsAsync()
    {
        await foreach (var (change, audit, flushed) in _controlChanges.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            if (change is not null)
            {
                try
                {
                    await _operatorState.SetAsync(change.Kind, change.Name, change.Fields, CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    Log.ControlNotSaved(_logger, change.Name, ex);
                }
            }

            if (audit is not null)
            {
                await OperatorChanges.AppendAsync(_changeLog, audit, _logger).ConfigureAwait(false);
            }

            flushed?.TrySetResult();
        }
    }

    /// <summary>
    /// Takes over the runs still in their bodies after the cancellation: each is recorded Cancelled (counts unknown,
    /// its log so far), released and answered here, and its worker is no longer awaited. The leases of a record job's
    /// abandoned run are not released: its records stay pending and go out again, with the same idempotency keys, once
    /// the leases expire. The other workers (finishing a run whose body returned: recording it, answering its caller)
    /// are awaited until the deadline with the abandoned runs' records, so that a stop returns with every run it
    /// cancelled recorded unless the store hangs.
    /// </summary>
    private async Task AbandonRunsAsync(DateTimeOffset deadline)
    {
        List<Task> finishing = [];
        List<Task> records = [];
        List<(JobEntry Entry, WorkItem Item, JobRun Run)>? ended = null;
        for (var i = 0; i < _slots.Length; i++)
        {
            if (_slots[i].Abandon() is not { } abandoned)
            {
                finishing.Add(_workers[i]);
                continue;
            }

            var run = new JobRun
            {
                RunId = abandoned.RunId,
                JobName = abandoned.Entry.Name,
                Trigger = abandoned.Item.Trigger,
                HostName = _options.HostName,
                StartedAt = abandoned.StartedAt,
                EndedAt = _time.GetUtcNow(),
                Outcome = JobOutcome.Cancelled,
                Error = $"The run did not stop within the shutdown timeout ({_options.ShutdownTimeout}) and its cancellation, and was abandoned: what it did is unknown; records it held stay pending.",
                Log = abandoned.Context?.LogEntries ?? [],
            };

            Log.RunAbandoned(_logger, run.JobName, run.RunId);
            JobsTelemetry.RunsCompleted.Add(1, new KeyValuePair<string, object?>("job", run.JobName), OutcomeTags[(int)JobOutcome.Cancelled]);
            records.Add(RecordAsync(abandoned.Entry, run));
            (ended ??= []).Add((abandoned.Entry, abandoned.Item, run));
        }

        // The workers not abandoned, then the history writes of the runs they ended.
        records.Add(FinishAsync(finishing));
        await WaitUntilAsync(Task.WhenAll(records), deadline, "Recording the abandoned and the finishing runs", CancellationToken.None).ConfigureAwait(false);

        // Recorded first (or given up on at the deadline): a job is idle, and its run told finished, only once its
        // history holds the run.
        foreach (var (entry, item, run) in ended ?? [])
        {
            Complete(entry, started: true, run);
            item.Request?.Completion.TrySetCanceled();
            try
            {
                _observer?.RunCompleted(run);
            }
            catch (Exception ex)
            {
                LogWorkerFault(run.JobName, ex);
            }
        }
    }

    /// <summary>
    /// Completes once <paramref name="workers"/> have ended (no run starts or ends after that) and then every history
    /// write under way: what a stop awaits for the runs, within its bound.
    /// </summary>
    private async Task FinishAsync(IEnumerable<Task> workers)
    {
        await Task.WhenAll(workers).ConfigureAwait(false);
        await DrainRecordsAsync().ConfigureAwait(false);
    }

    /// <summary>Waits for <paramref name="task"/> until <paramref name="deadline"/> on the engine's clock, or until <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="task">What is awaited.</param>
    /// <param name="deadline">The latest moment to wait until.</param>
    /// <param name="part">What is awaited, logged when it is given up on or fails; <see langword="null"/> logs nothing.</param>
    /// <param name="cancellationToken">Ends the wait early (the host's stop token).</param>
    /// <returns><see langword="true"/> when the task completed (a fault is logged, never thrown).</returns>
    private async Task<bool> WaitUntilAsync(Task task, DateTimeOffset deadline, string? part, CancellationToken cancellationToken)
    {
        try
        {
            var left = deadline - _time.GetUtcNow();
            await task.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!task.IsCompleted)
        {
            if (part is not null)
            {
                Log.StopAbandoned(_logger, part);
            }

            return false;
        }
        catch (Exception ex)
        {
            Log.StopFault(_logger, part ?? "A worker", ex);
        }

        return true;
    }
}
