using System.Collections.Frozen;
using System.Threading.Channels;
using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.History;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Records;
using Commerce.Jobs.Scheduling;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Targets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Runners;

/// <summary>
/// The engine: one <see cref="JobScheduler"/> over the <see cref="TimeProvider"/> (a priority queue of next fires), a
/// channel of runs, and a fixed pool of workers reading it; it drives each job's runs (<see cref="JobEntry"/>). It is every public service a host calls:
/// <see cref="IJobTrigger"/>, <see cref="IJobRunner"/>, <see cref="IJobControl"/> and <see cref="IJobMonitor"/>.
/// </summary>
internal sealed partial class JobEngine : IJobTrigger, IJobRunner, IJobControl, IJobMonitor, IOperatorStateApplier, IAsyncDisposable
{
    private const int Created = 0;
    private const int Running = 1;
    private const int Stopping = 2;
    private const int Stopped = 3;

    private readonly FrozenDictionary<string, JobEntry> _entries;
    private readonly JobEntry[] _entriesByName;
    private readonly Channel<WorkItem> _runs;
    private readonly IServiceScopeFactory _scopeFactory;
    private readonly IRunHistoryStore _history;
    private readonly IScheduleStore _schedule;
    private readonly IOperatorStateStore _operatorState;
    private readonly NotificationQueue _notifications;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly CommerceJobsOptions _options;
    private readonly TargetHealthRegistry _targetHealth;
    private readonly EngineIdentity _identity;
    private readonly JobScheduler _jobScheduler;
    private readonly CancellationTokenSource _stopScheduler = new();
    private readonly CancellationTokenSource _cancelRuns = new();
    private readonly Channel<ControlWrite> _controlChanges = Channel.CreateUnbounded<ControlWrite>(new UnboundedChannelOptions { SingleReader = true });
    private readonly IOperatorChangeLog _changeLog;
    private readonly Lock _stopGate = new();
    private readonly IServiceProvider _services;
    private readonly JobRegistry _registry;
    private readonly OperatorStateRefresher _refresher;
    private Task _controlWriter = Task.CompletedTask;
    private Task _controlReader = Task.CompletedTask;
    private Task[] _workers = [];
    private WorkerSlot[] _slots = [];
    private Task _scheduler = Task.CompletedTask;
    private Task? _stop;  // the one stop (guarded by _stopGate)
    private int _state;

    public JobEngine(
        JobRegistry registry,
        IOptionsMonitor<JobOptions> jobOptions,
        IOptions<CommerceJobsOptions> options,
        IServiceProvider services,
        IRunHistoryStore history,
        IScheduleStore schedule,
        IOperatorStateStore operatorState,
        IOperatorChangeLog changeLog,
        NotificationQueue notifications,
        TimeProvider timeProvider,
        TargetHealthRegistry targetHealth,
        EngineIdentity identity,
        ILogger<JobEngine> logger)
    {
        _identity = identity;
        _targetHealth = targetHealth;
        _options = options.Value;
        _scopeFactory = services.GetRequiredService<IServiceScopeFactory>();
        _history = history;
        _schedule = schedule;
        _operatorState = operatorState;
        _changeLog = changeLog;
        _notifications = notifications;
        _time = timeProvider;
        _logger = logger;
        _observer = services.GetService<EngineObserver>();
        _jobScheduler = new JobScheduler(timeProvider, Fire, logger);
        // One refresh of the operator state for every kind: job controls here, entity-sync configurations (and any other kind) to their appliers.
        _refresher = new OperatorStateRefresher(operatorState, () => [this, .. services.GetServices<IOperatorStateApplier>()], timeProvider);

        _services = services;
        _registry = registry;
        var entries = new Dictionary<string, JobEntry>(StringComparer.OrdinalIgnoreCase);
        foreach (var job in registry.Jobs)
        {
            var jobOptionsValue = jobOptions.Get(job.Name);
            var entry = new JobEntry(job.Name, jobOptionsValue, JobSchedule.FromOptions(job.Name, jobOptionsValue), job.CreateExecutor(services, jobOptionsValue));
            entries.Add(job.Name, entry);
        }

        foreach (var entry in entries.Values)
        {
            // From the declared After (not a run-time setting), whatever the schedule in force: a job whose run on
            // schedule is switched off is skipped when its upstream job ends (its schedule then names no upstream job).
            foreach (var jobName in JobSchedule.Split(entry.Options.After))
            {
                var upstream = entries[jobName];
                upstream.Dependents = [.. upstream.Dependents, (entry, entry.Options.AfterCondition)];
            }
        }

        _entries = entries.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        _entriesByName = [.. entries.Values.OrderBy(e => e.Name, StringComparer.OrdinalIgnoreCase)];

        // Bounded by the jobs, not by the channel: each job has at most its MaxConcurrency runs in flight (queued or
        // running), and a MaxConcurrency raised at run time (IJobDefinitions) must find room, so no capacity is fixed
        // here: a write never waits and is never refused while the engine runs.
        _runs = Channel.CreateUnbounded<WorkItem>(new UnboundedChannelOptions
        {
            SingleReader = false,
            SingleWriter = false,
        });
    }

    internal bool IsAccepting => Volatile.Read(ref _state) == Running;

    /// <summary>Gets a value indicating whether the engine is stopping or stopped: it takes no new runs.</summary>
    internal bool IsStopping => Volatile.Read(ref _state) >= Stopping;

    internal TimeProvider TimeProvider => _time;

    /// <summary>Gets the number of runs waiting in the channel for a free worker.</summary>
    internal int QueueDepth => _runs.Reader.Count;

    /// <summary>Starts the scheduler and the workers, then the runs triggered before start.</summary>
    public void Start()
    {
        if (Interlocked.CompareExchange(ref _state, Running, Created) != Created)
        {
            return;
        }

        var workers = new Task[Math.Max(1, _options.MaxConcurrentRuns)];
        var slots = new WorkerSlot[workers.Length];
        for (var i = 0; i < workers.Length; i++)
        {
            var slot = slots[i] = new WorkerSlot();
            workers[i] = Task.Run(() => WorkAsync(slot));
        }

        _slots = slots;
        _workers = workers;
        _controlWriter = Task.Run(WriteControlsAsync);
        _notifications.Start();
        _controlReader = _refresher.Start(_options.ControlRefreshInterval, _stopScheduler.Token);

        _scheduler = _jobScheduler.Start(_entriesByName, _stopScheduler.Token);
        JobsTelemetry.AddEngine(this, _options.HostName);
        Log.EngineStarted(_logger, _entriesByName.Length, workers.Length);
        foreach (var entry in _entriesByName)
        {
            entry.Open();
            StartWaiting(entry);
        }
    }

    /// <inheritdoc />
    public void Signal(string jobName)
    {
        var entry = GetEntry(jobName);
        if (!entry.Options.Automatic)
        {
            throw new InvalidOperationException(
                $"Job '{entry.Name}' cannot be signalled: its schedule ({entry.Schedule}) is not automatic, so a signal would never run it. " +
                "Run it by hand with IJobTrigger.Trigger, or give it Schedule.Automatic().");
        }

        if (!entry.Schedule.IsAutomatic)
        {
            // Declared automatic, with its run on schedule switched off at run time: manual only, a signal is ignored.
            Log.SignalIgnored(_logger, entry.Name);
            return;
        }

        // A disabled job ignores the signal (documented); a paused one holds it.
        Trigger(entry, TriggerKind.Automatic);
    }

    /// <inheritdoc />
    public void Trigger(string jobName) => TriggerByHand(jobName, TriggerKind.Manual);

    /// <inheritdoc />
    public void Resubmit(string jobName) => TriggerByHand(jobName, TriggerKind.Resubmit);

    /// <inheritdoc />
    public async Task<JobResult> RunAsync(string jobName, object? parameters, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var entry = GetEntry(jobName);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        }

        // Sources only for what can cancel: no timer for an infinite timeout, no linked source for one token alone.
        using var timeoutSource = timeout == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(timeout, _time);
        using var linked = timeoutSource is not null && cancellationToken.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken) : null;
        var token = linked?.Token ?? timeoutSource?.Token ?? cancellationToken;
        var request = new RunRequest(NewRunId(_time.GetUtcNow()), TriggerKind.OnDemand, parameters, token);
        Request(entry, request);
        JobResult result;
        try
        {
            result = await request.Completion.Task.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeoutSource is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Job '{entry.Name}' did not finish within {timeout}.");
        }

        // An awaited call that failed must not pass for an answer: the caller gets the failure as an exception.
        return result.Outcome == JobOutcome.Failed ? throw new JobRunFailedException(entry.Name, request.RunId, result) : result;
    }

    /// <inheritdoc />
    public JobRunHandle Enqueue(string jobName, object? parameters)
    {
        var entry = GetEntry(jobName);
        var request = new RunRequest(NewRunId(_time.GetUtcNow()), TriggerKind.Queued, parameters, CancellationToken.None);
        Request(entry, request);
        return new JobRunHandle(entry.Name, request.RunId, request.Completion.Task);
    }

    /// <inheritdoc />
    public ValueTask<JobRunHandle> EnqueueAsync(string jobName, object? parameters, CancellationToken cancellationToken)
    {
        var entry = GetEntry(jobName);
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<JobRunHandle>(cancellationToken);
        }

        // The token cancels only the wait for room: the request itself carries none, so once queued it runs.
        var request = new RunRequest(NewRunId(_time.GetUtcNow()), TriggerKind.Queued, parameters, CancellationToken.None);
        if (entry.RequestWhenRoom(request, cancellationToken, out var room) == RunDecision.Start)
        {
            Dispatch(new WorkItem(entry, request.Trigger, request));
        }

        var handle = new JobRunHandle(entry.Name, request.RunId, request.Completion.Task);
        return room is null ? ValueTask.FromResult(handle) : WaitForRoomAsync(room, handle);

        static async ValueTask<JobRunHandle> WaitForRoomAsync(Task room, JobRunHandle handle)
        {
            await room.ConfigureAwait(false);
            return handle;
        }
    }

    /// <inheritdoc />
    public void Pause(string jobName) => Pause(jobName, null);

    /// <inheritdoc />
    public void Resume(string jobName) => Resume(jobName, null);

    /// <inheritdoc />
    public void Enable(string jobName) => Enable(jobName, null);

    /// <inheritdoc />
    public void Disable(string jobName) => Disable(jobName, null);

    /// <inheritdoc />
    public void Pause(string jobName, string? actor) => Control(jobName, "pause", actor, paused: true, disabled: null);

    /// <inheritdoc />
    public void Resume(string jobName, string? actor) => Control(jobName, "resume", actor, paused: false, disabled: null);

    /// <inheritdoc />
    public void Enable(string jobName, string? actor) => Control(jobName, "enable", actor, paused: null, disabled: false);

    /// <inheritdoc />
    public void Disable(string jobName, string? actor) => Control(jobName, "disable", actor, paused: null, disabled: true);

    /// <summary>
    /// Applies the operator state stored by any host (the fields paused and disabled of kind
    /// <see cref="OperatorStateKinds.Job"/>) to the jobs, each field unless changed here since: before
    /// <see cref="Start()"/>, so that a restart keeps what an operator set, then every
    /// <see cref="CommerceJobsOptions.ControlRefreshInterval"/>. A store that cannot be read, or gives what cannot be
    /// applied, is logged; it never throws (but for <paramref name="cancellationToken"/>).
    /// </summary>
    public async Task RestoreControlsAsync(CancellationToken cancellationToken)
    {
        try
        {
            var entries = await _operatorState.GetAsync(OperatorStateKinds.Job, cancellationToken).ConfigureAwait(false);
            await ((IOperatorStateApplier)this).ApplyAsync(entries, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Log.ControlsNotRestored(_logger, ex);
        }
    }

    /// <summary>One pass of the operator-state refresh (every kind read once and applied); tests call it directly.</summary>
    internal Task RefreshOperatorStateAsync(CancellationToken cancellationToken) => _refresher.RefreshAsync(cancellationToken);

    /// <inheritdoc />
    string IOperatorStateApplier.Kind => OperatorStateKinds.Job;

    /// <inheritdoc />
    Task IOperatorStateApplier.ApplyAsync(IReadOnlyList<OperatorStateEntry> entries, CancellationToken cancellationToken)
    {
        try
        {
            foreach (var entry in entries)
            {
                if (entry?.Name is { } jobName && entry.Fields is { } fields && _entries.TryGetValue(jobName, out var job))
                {
                    job.Restore(fields);
                    StartWaiting(job);
                }
            }
        }
        catch (Exception ex)
        {
            Log.ControlsNotRestored(_logger, ex);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    void IOperatorStateApplier.Failed(Exception exception) => Log.ControlsNotRestored(_logger, exception);

    /// <inheritdoc />
    public IReadOnlyList<JobStatus> GetStatuses() => [.. _entriesByName.Select(e => e.GetStatus())];

    /// <inheritdoc />
    public JobStatus GetStatus(string jobName) => GetEntry(jobName).GetStatus();

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRuns);
        return _history.GetRunsAsync(GetEntry(jobName).Name, maxRuns, cancellationToken);
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<OperatorChange>> GetChangesAsync(string jobName, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, 1000);
        var name = GetEntry(jobName).Name;

        // Read your writes: the changes made here before this call are in the store first (they are written in order by one writer).
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (Volatile.Read(ref _state) != Created && _controlChanges.Writer.TryWrite(new ControlWrite(null, null, flushed)))
        {
            await flushed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        var controls = await _changeLog.GetChangesAsync(OperatorStateKinds.Job, name, limit, cancellationToken).ConfigureAwait(false);
        var definitions = await _changeLog.GetChangesAsync(OperatorStateKinds.JobDefinition, name, limit, cancellationToken).ConfigureAwait(false);

        // Both newest first: merged by time, a control before a definition change made at the same time.
        var merged = new List<OperatorChange>(Math.Min(limit, controls.Count + definitions.Count));
        int c = 0, d = 0;
        while (merged.Count < limit && (c < controls.Count || d < definitions.Count))
        {
            merged.Add(d >= definitions.Count || (c < controls.Count && controls[c].ChangedAt >= definitions[d].ChangedAt) ? controls[c++] : definitions[d++]);
        }

        return merged;
    }

    /// <inheritdoc />
    public Task WaitForIdleAsync(string jobName, CancellationToken cancellationToken) => GetEntry(jobName).WaitForIdleAsync(cancellationToken);

    /// <inheritdoc />
    public IReadOnlyList<TargetHealth> GetTargetHealth() => _targetHealth.Snapshot();

    /// <summary>
    /// Signals a job that records were offered to its inbox, when its schedule is automatic; a job on another schedule
    /// reads them on its next run.
    /// </summary>
    internal void SignalIfAutomatic(string jobName)
    {
        var entry = GetEntry(jobName);
        if (entry.Schedule.IsAutomatic)
        {
            Trigger(entry, TriggerKind.Automatic);
        }
    }

    /// <summary>Hands a run to the workers: one a <see cref="JobEntry"/> has put in flight.</summary>
    internal void Dispatch(WorkItem item)
    {
        if (!_runs.Writer.TryWrite(item))
        {
            Drop(item);
        }
    }

    internal JobEntry GetEntry(string jobName)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        return _entries.TryGetValue(jobName, out var entry)
            ? entry
            : throw new ArgumentException($"No job named '{jobName}' is registered.", nameof(jobName));
    }

    /// <summary>
    /// Applies an operator's change here at once, and queues the fields it changed for the store with its record for the
    /// audit trail (written in order by one writer).
    /// </summary>
    private void Control(string jobName, string action, string? actor, bool? paused, bool? disabled)
    {
        var entry = GetEntry(jobName);
        var fields = entry.Control(paused, disabled, _time.GetUtcNow(), out var values);
        var change = new OperatorStateEntry(OperatorStateKinds.Job, entry.Name, fields);
        var audit = new OperatorChange(OperatorStateKinds.Job, entry.Name, action, fields[0].ChangedAt, actor, values);
        StartWaiting(entry);
        if (!_controlChanges.Writer.TryWrite(new ControlWrite(change, audit, null)))
        {
            Log.ControlNotSaved(_logger, change.Name, new InvalidOperationException("The engine has stopped; the change holds here only."));
        }
    }

    private void TriggerByHand(string jobName, TriggerKind trigger)
    {
        var entry = GetEntry(jobName);
        if (!Trigger(entry, trigger))
        {
            throw new InvalidOperationException(IsStopping ? $"Job '{entry.Name}' was not run: the engine is stopping." : $"Job '{entry.Name}' is disabled.");
        }
    }

    private void Drop(WorkItem item)
    {
        item.Request?.Completion.TrySetException(new InvalidOperationException($"Job '{item.Entry.Name}' was not run: the engine is stopping."));
        Complete(item.Entry, started: false, run: null);
    }

    /// <summary>One item for the control writer: an operator's change to store with its audit record, or a flush to answer once the changes before it are written.</summary>
    private sealed record ControlWrite(OperatorStateEntry? State, OperatorChange? Audit, TaskCompletionSource? Flushed);
}
