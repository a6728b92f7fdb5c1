using System.Diagnostics;
using System.Threading.Channels;
using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Runners;

/// <summary>The workers: read a run from the channel, execute it, record it, notify, and start what follows.</summary>
internal sealed partial class JobEngine
{
    // Boxed once: a tag built per run would box its enum value on every run, listener or not.
    private static readonly KeyValuePair<string, object?>[] TriggerTags = [.. Enum.GetValues<TriggerKind>().Select(t => new KeyValuePair<string, object?>("trigger", t))];
    private static readonly KeyValuePair<string, object?>[] OutcomeTags = [.. Enum.GetValues<JobOutcome>().Select(o => new KeyValuePair<string, object?>("outcome", o))];

    /// <summary>Told after a run is recorded and what follows it is triggered; <see langword="null"/> unless one is registered (tests, benchmarks).</summary>
    private readonly EngineObserver? _observer;

    /// <summary>Runs ended whose history write has not completed yet (their room is free already).</summary>
    private int _recordsInFlight;

    /// <summary>How many history writes may be under way before a worker awaits its own (a store that lags slows the runs down).</summary>
    internal const int DefaultMaxRecordsInFlight = 4096;

    /// <summary>Set by a stop: completed when <see cref="_recordsInFlight"/> reaches zero.</summary>
    private TaskCompletionSource? _recordsDrained;

    /// <summary>Gets or sets how many history writes may be under way before a worker awaits its own (tests set fewer).</summary>
    internal int MaxRecordsInFlight { get; set; } = DefaultMaxRecordsInFlight;

    /// <summary>A worker: runs one item after another until the channel is completed; no exception ends it.</summary>
    private async Task WorkAsync(WorkerSlot slot)
    {
        var reader = _runs.Reader;
        while (true)
        {
            // The run this worker kept when it freed its job's room comes first; then the channel.
            if (!slot.TryTakeKept(out var item) && !reader.TryRead(out item))
            {
                try
                {
                    item = await reader.ReadAsync().ConfigureAwait(false);
                }
                catch (ChannelClosedException)
                {
                    return;
                }
            }

            try
            {
                await RunAsync(item, slot).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // RunAsync records, answers and releases what it can in finally blocks; what still escaped is logged.
                LogWorkerFault(item.Entry.Name, ex);
            }
        }
    }

    private async Task RunAsync(WorkItem item, WorkerSlot slot)
    {
        var entry = item.Entry;
        if (!IsAccepting)
        {
            Drop(item);
            return;
        }

        if (item.Request is { CancellationToken.IsCancellationRequested: true } abandoned)
        {
            // The caller gave up (timeout) while the request waited its turn.
            abandoned.Completion.TrySetCanceled(abandoned.CancellationToken);
            Complete(entry, started: false, run: null);
            return;
        }

        var startedAt = _time.GetUtcNow();
        var runId = item.Request?.RunId ?? NewRunId(startedAt);
        if (!slot.Begin(item, runId, startedAt))
        {
            Drop(item);
            return;
        }

        entry.OnStarted();
        var (options, executor) = entry.Current;   // the settings this run keeps whatever changes meanwhile (IJobDefinitions)
        JobRun? run = null;
        JobResult? result = null;
        Task? recording = null;
        var awaitsWrite = false;
        try
        {
            (run, result) = await ExecuteAsync(entry, executor, item, slot, runId, startedAt).ConfigureAwait(false);
            if (run is not null)
            {
                // Before the room is freed, in the order the job's runs end: the history write is queued (the store
                // keeps a MaxConcurrency-1 job's runs in order) and the notices are posted (a failure, then its
                // recovery); a success the queue checks against the history waits there for this write.
                Interlocked.Increment(ref _recordsInFlight);
                recording = RecordAsync(entry, run, options);
                if (options.NotifyOnFailure)
                {
                    try
                    {
                        Notify(entry, run, recording, options);
                    }
                    catch (Exception ex)
                    {
                        // Not even a logger that throws (a dropped notice is logged) keeps the run from being recorded.
                        LogWorkerFault(entry.Name, ex);
                    }
                }
            }
        }
        finally
        {
            // Whatever happened, the job takes its next run at once: its room is freed before the run's history is
            // written (a signalled or scheduled run waits for nothing) — unless a shutdown abandoned the run and did
            // it already. A run that ended without a result (a fault outside the job) has nothing to record: its caller is told now.
            // Decided once: a worker that will await this write (a store that lags) does not keep the job's next run.
            awaitsWrite = recording is { IsCompleted: false } && Volatile.Read(ref _recordsInFlight) > MaxRecordsInFlight;
            if (slot.Release())
            {
                // The job's next held run is this worker's to run, unless the worker will first await this write.
                Complete(entry, started: true, run, recording: recording is not null, awaitsWrite ? null : slot);
                if (recording is null)
                {
                    Answer(entry, item.Request, runId, result);
                }
            }
        }

        if (recording is null)
        {
            return;
        }

        // The history write, off the run's room: in-memory it completes here and now; a store that commits later
        // (a group commit) completes it on its own, tracked so that a shutdown awaits it within its bound. The caller
        // of an awaited or queued run is answered only once its run is committed. Past MaxRecordsInFlight writes under
        // way (a store that lags), the worker awaits its own before it takes its next run.
        if (recording.IsCompleted || awaitsWrite)
        {
            await RecordedAsync(recording, entry, item.Request, run!, result!).ConfigureAwait(false);
        }
        else
        {
            _ = RecordedAsync(recording, entry, item.Request, run!, result!);
        }
    }

    /// <summary>Waits for a run's history write, then does what follows it, whatever the write did; never throws.</summary>
    private async Task RecordedAsync(Task recording, JobEntry entry, RunRequest? request, JobRun run, JobResult result)
    {
        try
        {
            await recording.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // RecordAsync logs the store's failures itself: this is anything else; what follows the write still runs.
            LogWorkerFault(entry.Name, ex);
        }

        try
        {
            Recorded(entry, request, run, result);
        }
        catch (Exception ex)
        {
            LogWorkerFault(entry.Name, ex);
        }
    }

    /// <summary>
    /// A run's history is written (or its write failed, logged): the job may be idle, the caller is answered, the jobs
    /// that follow it are triggered and the observer told.
    /// </summary>
    private void Recorded(JobEntry entry, RunRequest? request, JobRun run, JobResult result)
    {
        try
        {
            entry.OnRecorded();
            Answer(entry, request, run.RunId, result);
        }
        finally
        {
            if (Interlocked.Decrement(ref _recordsInFlight) == 0 && Volatile.Read(ref _recordsDrained) is { } drained)
            {
                drained.TrySetResult();
            }
        }

        foreach (var (dependent, condition) in entry.Dependents)
        {
            if ((run.Outcome == JobOutcome.Succeeded || (condition == AfterCondition.AnyOutcome && run.Outcome != JobOutcome.Cancelled)) && dependent.RunsAfter(entry.Name))
            {
                Trigger(dependent, TriggerKind.After);
            }
        }

        _observer?.RunCompleted(run);
    }

    /// <summary>Completes once every run's history write under way has completed (a stop awaits it within its bound).</summary>
    private Task DrainRecordsAsync()
    {
        // One completion for every caller (a stop that abandons runs drains twice); the exchange is a full fence, so
        // the count is read after the completion is published: a write that ends meanwhile sees it, or the count is zero.
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var drained = Interlocked.CompareExchange(ref _recordsDrained, created, null) ?? created;
        if (Volatile.Read(ref _recordsInFlight) == 0)
        {
            drained.TrySetResult();
        }

        return drained.Task;
    }

    /// <summary>A coalescing trigger: the run goes to the workers at once when the job has room for it, else it is held as the job's one follow-up.</summary>
    /// <returns><see langword="false"/> when the trigger was dropped because the job is disabled.</returns>
    private bool Trigger(JobEntry entry, TriggerKind trigger)
    {
        var decision = entry.Trigger(trigger);
        if (decision == RunDecision.Start)
        {
            Dispatch(new WorkItem(entry, trigger, null));
        }

        return decision != RunDecision.Refused;
    }

    /// <summary>A run asked for by hand: it goes to the workers at once when the job has room for it, else it waits its turn in the job.</summary>
    private void Request(JobEntry entry, RunRequest request)
    {
        if (entry.Request(request) == RunDecision.Start)
        {
            Dispatch(new WorkItem(entry, request.Trigger, request));
        }
    }

    /// <summary>
    /// A run ended (or a queued one was dropped): the job takes its next held runs while it has room; the first of them
    /// goes to <paramref name="worker"/> (the one that ran it) when given (see <see cref="StartWaiting"/>).
    /// </summary>
    private void Complete(JobEntry entry, bool started, JobRun? run, bool recording = false, WorkerSlot? worker = null)
    {
        entry.OnCompleted(started, run, recording);
        StartWaiting(entry, worker);
    }

    /// <summary>
    /// Hands the job's held runs (requests, then the pending follow-up) to the workers while it has room (after a run, on
    /// resume, on engine start). With <paramref name="worker"/> (the worker whose run just freed the room), the first
    /// goes to that worker, to run next, when no run waits in the channel (none is overtaken): no worker is woken and
    /// nothing passes through the channel or the thread pool's queue for it.
    /// </summary>
    private void StartWaiting(JobEntry entry, WorkerSlot? worker = null)
    {
        while (entry.TryTakeNext(out var item))
        {
            if (worker is not null && _runs.Reader.Count == 0 && worker.Keep(item))
            {
                worker = null;
                continue;
            }

            Dispatch(item);
        }
    }

    /// <summary>Runs the job's body (with its own scope, made when the body first resolves a service) and makes its record, unless the run was abandoned meanwhile.</summary>
    /// <returns>The run and its result; nulls when a shutdown abandoned the run.</returns>
    private async ValueTask<(JobRun? Run, JobResult? Result)> ExecuteAsync(JobEntry entry, IJobExecutor executor, WorkItem item, WorkerSlot slot, Guid runId, DateTimeOffset startedAt)
    {
        var request = item.Request;
        var jobTag = new KeyValuePair<string, object?>("job", entry.Name);
        JobsTelemetry.RunsStarted.Add(1, jobTag, TriggerTags[(int)item.Trigger]);
        Log.RunStarted(_logger, entry.Name, runId, item.Trigger);
        using var activity = JobsTelemetry.Source.StartActivity("commerce_jobs.run", ActivityKind.Internal);
        activity?.SetTag("job", entry.Name).SetTag("run_id", runId).SetTag("trigger", item.Trigger.ToString());

        // A caller's token that can never be cancelled (Enqueue's) needs no linked source: the engine's token alone cancels the run.
        var linked = request is { CancellationToken.CanBeCanceled: true } ? CancellationTokenSource.CreateLinkedTokenSource(_cancelRuns.Token, request.CancellationToken) : null;
        var token = linked?.Token ?? _cancelRuns.Token;
        RunServices? scope = null;
        JobContext? context = null;
        JobResult result;
        Exception? exception = null;
        try
        {
            // Inside the try: a scope or a context that cannot be made fails this run, not the worker. The run's scope
            // is made on the first service resolved from the context (RunServices): a job that resolves none pays for none.
            scope = new RunServices(_scopeFactory);
            context = new JobContext(entry.Name, runId, item.Trigger, request?.Parameters, scope, _time);
            slot.Attach(context);
            result = await executor.ExecuteAsync(context, token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            result = JobResult.Create(JobOutcome.Cancelled, "The run was cancelled.", null, default);
        }
        catch (Exception ex)
        {
            exception = ex;
            result = JobResult.Create(JobOutcome.Failed, Describe(ex), null, default);
            context?.Log(JobLogLevel.Error, ex.ToString());
        }

        try
        {
            if (scope is not null)
            {
                await scope.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // A scoped service that throws on disposal fails a run that had not failed already.
            context?.Log(JobLogLevel.Error, ex.ToString());
            if (result.Outcome is not (JobOutcome.Failed or JobOutcome.Cancelled))
            {
                exception = ex;
                result = JobResult.Create(JobOutcome.Failed, Describe(ex), null, result.Counts);
            }
        }
        finally
        {
            linked?.Dispose();
        }

        if (!slot.Claim())
        {
            return (null, null);
        }

        var endedAt = _time.GetUtcNow();
        var run = new JobRun
        {
            RunId = runId,
            JobName = entry.Name,
            Trigger = item.Trigger,
            HostName = _options.HostName,
            StartedAt = startedAt,
            EndedAt = endedAt,
            Outcome = result.Outcome,
            Counts = result.Counts,
            Error = OutsideText.Cap(result.Error),
            Log = context?.LogEntries ?? [],
        };

        JobsTelemetry.RunsCompleted.Add(1, jobTag, OutcomeTags[(int)result.Outcome]);
        JobsTelemetry.RunDuration.Record((endedAt - startedAt).TotalSeconds, jobTag);
        activity?.SetTag("outcome", result.Outcome.ToString());
        if (result.Outcome == JobOutcome.Failed)
        {
            activity?.SetStatus(ActivityStatusCode.Error, run.Error);
            Log.RunFailed(_logger, entry.Name, runId, item.Trigger, run.Error, exception);
        }
        else
        {
            Log.RunEnded(_logger, entry.Name, runId, item.Trigger, result.Outcome, (endedAt - startedAt).TotalMilliseconds, result.Counts.Read, result.Counts.Delivered, result.Counts.Skipped, result.Counts.Failed);
        }

        return (run, result);
    }

    /// <summary>Answers the caller of an awaited or started run: its result, cancelled, or (a fault outside the job) an error.</summary>
    private static void Answer(JobEntry entry, RunRequest? request, Guid runId, JobResult? result)
    {
        if (request is null)
        {
            return;
        }

        if (result is null)
        {
            request.Completion.TrySetException(new InvalidOperationException($"Job '{entry.Name}' run {runId} ended without a result; the host's log says why."));
        }
        else if (result.Outcome == JobOutcome.Cancelled && request.CancellationToken.IsCancellationRequested)
        {
            request.Completion.TrySetCanceled(request.CancellationToken);
        }
        else
        {
            request.Completion.TrySetResult(result);
        }
    }

    /// <summary>An exception as a run's error: its type and message, capped.</summary>
    private static string Describe(Exception ex) => OutsideText.Cap($"{ex.GetType().Name}: {ex.Message}");

    private void LogWorkerFault(string jobName, Exception exception)
    {
        try
        {
            Log.WorkerFault(_logger, jobName, exception);
        }
        catch (Exception)
        {
            // A logger that throws must not end the worker either.
        }
    }

    private async Task RecordAsync(JobEntry entry, JobRun run, JobOptions? options = null)
    {
        options ??= entry.Options;
        try
        {
            await _history.AddRunAsync(run, CancellationToken.None).ConfigureAwait(false);
            if (entry.ShouldPurgeHistory())
            {
                await _history.PurgeRunsAsync(entry.Name, options.MaxArchivedRuns, run.EndedAt - options.HistoryRetention, CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            // The run stays in the monitor (its last run, counts); the store's next write may succeed. A logger that
            // throws must not fail the write's task: what follows the write (the caller's answer, idleness) still runs.
            try
            {
                Log.StoreFailed(_logger, entry.Name, run.RunId, ex);
            }
            catch (Exception)
            {
                // Nothing left to tell it with.
            }
        }
    }

    /// <summary>
    /// Posts what the failure notifiers are told about a run to their queue (never waits for them): a failure, every run
    /// if asked, and a recovery candidate — a success after a failure this host told about, or else a success the queue
    /// checks against the job's shared history (its previous recorded run failed, on any host).
    /// </summary>
    /// <param name="entry">The run's job.</param>
    /// <param name="run">The run that ended.</param>
    /// <param name="recording">The run's history write: the queue awaits it before it reads the history for a recovery check.</param>
    /// <param name="options">The settings the run read at its start.</param>
    private void Notify(JobEntry entry, JobRun run, Task recording, JobOptions options)
    {
        // An awaited on-demand run's caller is told its failure directly; administrators are not paged for it.
        var failed = run.Outcome == JobOutcome.Failed && run.Trigger != TriggerKind.OnDemand;
        if (failed)
        {
            // Set before the failure is posted, so a success that ends meanwhile (MaxConcurrency > 1) sees it.
            Volatile.Write(ref entry.FailureNotified, 1);
        }

        if (failed || options.NotifyOnEveryRun)
        {
            _notifications.PostRun(run);
        }

        if (run.Outcome is JobOutcome.Succeeded or JobOutcome.PartiallySucceeded)
        {
            if (Interlocked.Exchange(ref entry.FailureNotified, 0) == 1)
            {
                _notifications.PostRecovered(run);
            }
            else
            {
                _notifications.PostSucceeded(run, recording);
            }
        }
    }

    /// <summary>
    /// A version-7 (time-ordered) id from <paramref name="timestamp"/> (a run's start, or the moment a run was asked for
    /// by hand, whose id is known before it starts) and <see cref="Random.Shared"/>: unique enough for run ids and
    /// much cheaper than <see cref="Guid.CreateVersion7(DateTimeOffset)"/>, which reads the OS random source on every call.
    /// </summary>
    private static Guid NewRunId(DateTimeOffset timestamp)
    {
        Span<byte> bytes = stackalloc byte[16];
        Random.Shared.NextBytes(bytes[6..]);
        var milliseconds = timestamp.ToUnixTimeMilliseconds();
        for (var i = 5; i >= 0; i--)
        {
            bytes[i] = (byte)milliseconds;
            milliseconds >>= 8;
        }

        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x70);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
