using System.Diagnostics;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Runners;

/// <summary>
/// One registered job at run time: its settings, schedule and executor, and the small state machine that makes
/// triggers coalesce. At most <see cref="JobOptions.MaxConcurrency"/> runs are in flight (queued or running); a
/// trigger beyond that sets one pending flag, so any number of triggers during a run cause exactly one follow-up run.
/// It is state and decisions only: it calls nothing back. Each method says what the engine must do (a run to hand to
/// the workers, held runs to take with <see cref="TryTakeNext"/>), and the engine drives a run one way: asked for →
/// held or taken (in flight) → <see cref="OnStarted"/> → <see cref="OnCompleted"/> → the next held run taken.
/// </summary>
internal sealed class JobEntry
{
    private readonly Lock _gate = new();
    private Settings _settings;          // replaced whole (Redefine), read without the gate
    private readonly AtomicTimestamp _nextFireTime = new();   // written by the scheduler, read by status readers without the gate
    private string? _scheduleText;     // the schedule in words, made on the first status asked for (idle jobs never pay for it)
    private Queue<RunRequest>? _requests;
    private LinkedList<RoomWaiter>? _roomWaiters;  // EnqueueAsync callers waiting for room in _requests, oldest first
    private TaskCompletionSource? _idle;            // completed when the job is next idle (WaitForIdleAsync)
    private bool _pending;
    private TriggerKind _pendingTrigger;
    private int _inFlight;
    private int _executing;
    private int _recording;    // runs ended whose history is still being written (their room is free already)
    private bool _paused;
    private bool _disabled;
    private DateTimeOffset? _pausedChangedAt;  // when an operator last paused or resumed the job (here or, restored, on any host)
    private DateTimeOffset? _disabledChangedAt;  // when an operator last enabled or disabled the job
    private bool _accepting;   // the engine has started and is not stopping: runs may start
    private bool _stopping;    // the engine is stopping: no run is asked for any more
    private JobRun? _lastRun;
    private int _consecutiveFailures;
    private long _runCount;
    private RecordCounts _totals;
    private int _runsSincePurge;

    /// <summary>
    /// 1 once a failed run of the job was posted to the notifiers on this host, until a success posts the recovery: this
    /// host's quick answer; for the rest (other hosts, a restart) the queue checks the job's shared history.
    /// </summary>
    internal int FailureNotified;

    public JobEntry(string name, JobOptions options, Schedule schedule, IJobExecutor executor)
    {
        Name = name;
        _settings = new Settings(options, schedule, executor);
        _disabled = !options.Enabled;
    }

    public string Name { get; }

    /// <summary>Gets the job's settings in force; replaced whole by <see cref="Redefine"/>, never changed in place.</summary>
    public JobOptions Options => Volatile.Read(ref _settings).Options;

    public Schedule Schedule => Volatile.Read(ref _settings).Schedule;

    /// <summary>
    /// Gets the executor made from <see cref="Options"/>: it carries the settings a run reads (batch size, skip, retry
    /// window, status updates, max age), so the run that read it keeps them whatever changes meanwhile.
    /// </summary>
    public IJobExecutor Executor => Volatile.Read(ref _settings).Executor;

    /// <summary>Gets the settings in force and the executor made from them, read together: what a run reads once at its start.</summary>
    public (JobOptions Options, IJobExecutor Executor) Current
    {
        get
        {
            var settings = Volatile.Read(ref _settings);
            return (settings.Options, settings.Executor);
        }
    }

    /// <summary>Returns whether the schedule in force runs this job after <paramref name="upstream"/> (not when its run on schedule is switched off).</summary>
    public bool RunsAfter(string upstream)
    {
        foreach (var (jobName, _) in Schedule.AfterJobs)
        {
            if (string.Equals(jobName, upstream, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Gets or sets the generation of the job's planned fire: the scheduler's own (its loop alone reads and writes it); a fire planned under an older one is stale.</summary>
    internal int ScheduleGeneration { get; set; }

    /// <summary>Gets or sets the jobs that run after this one, with their conditions.</summary>
    public (JobEntry Job, AfterCondition Condition)[] Dependents { get; set; } = [];

    /// <summary>Gets or sets the next timed fire (in UTC), kept by the scheduler for the monitor; never read torn.</summary>
    public DateTimeOffset? NextFireTime
    {
        get => _nextFireTime.Read();
        set => _nextFireTime.Write(value);
    }

    public bool IsDisabled => Volatile.Read(ref _disabled);

    /// <summary>A coalescing trigger (schedule, signal, manual, after, cleanup, resubmit).</summary>
    /// <returns>
    /// <see cref="RunDecision.Start"/> when the run is in flight now (the engine hands it to the workers),
    /// <see cref="RunDecision.Held"/> when it was coalesced into the pending follow-up, <see cref="RunDecision.Refused"/>
    /// when it was dropped because the job is disabled.
    /// </returns>
    public RunDecision Trigger(TriggerKind trigger)
    {
        lock (_gate)
        {
            if (_disabled || _stopping)
            {
                // Nothing is held for an engine that is stopping: it would never run, and the job would never be idle.
                return RunDecision.Refused;
            }

            if (!CanStartLocked())
            {
                // Coalesce: remember one follow-up run; a resubmit outranks any other kind, since it reads more.
                if (!_pending || trigger == TriggerKind.Resubmit)
                {
                    _pendingTrigger = trigger;
                }

                _pending = true;
                AssertInvariants();
                return RunDecision.Held;
            }

            _inFlight++;
            AssertInvariants();
            return RunDecision.Start;
        }
    }

    /// <summary>
    /// A run asked for one per call (awaited or queued): never coalesced, it waits its turn in the job's queue of
    /// requests; when <see cref="JobDefaults.MaxWaitingRequests"/> already wait, it is refused.
    /// </summary>
    /// <returns><see cref="RunDecision.Start"/> when the run is in flight now (the engine hands it to the workers), <see cref="RunDecision.Held"/> when it waits its turn.</returns>
    public RunDecision Request(RunRequest request) => Add(request, waitForRoom: false, CancellationToken.None, out _);

    /// <summary>
    /// Like <see cref="Request"/>, but when the queue of requests is full, waits for room instead: each request that
    /// leaves the queue takes in the oldest caller waiting (FIFO). <paramref name="cancellationToken"/> cancels the wait only.
    /// </summary>
    /// <param name="request">The run asked for.</param>
    /// <param name="cancellationToken">Cancels the wait for room only.</param>
    /// <param name="room"><see langword="null"/> when the request is queued or in flight already; otherwise the wait for room, after which it is queued.</param>
    /// <returns>What the engine must do: <see cref="RunDecision.Start"/> hand it to the workers, else nothing.</returns>
    public RunDecision RequestWhenRoom(RunRequest request, CancellationToken cancellationToken, out Task? room) => Add(request, waitForRoom: true, cancellationToken, out room);

    private RunDecision Add(RunRequest request, bool waitForRoom, CancellationToken cancellationToken, out Task? room)
    {
        RoomWaiter waiter;
        room = null;
        lock (_gate)
        {
            if (_disabled)
            {
                throw new InvalidOperationException($"Job '{Name}' is disabled.");
            }

            // Checked under the gate that CancelWaiting drains under, so a request is either refused here or drained there.
            if (_stopping)
            {
                throw new InvalidOperationException($"Job '{Name}' was not run: the engine is stopping.");
            }

            // Room with runs still waiting is room about to be taken by the oldest of them (the engine takes held runs
            // right after every change that frees room): a new request queues behind them, in call order.
            if (CanStartLocked() && _requests is not { Count: > 0 })
            {
                _inFlight++;
                AssertInvariants();
                return RunDecision.Start;
            }

            _requests ??= new();
            if (_requests.Count < JobDefaults.MaxWaitingRequests)
            {
                _requests.Enqueue(request);
                AssertInvariants();
                return RunDecision.Held;
            }

            if (!waitForRoom)
            {
                throw new InvalidOperationException($"Job '{Name}' already has {_requests.Count} runs waiting for their turn; ask again once they have started, or wait for room with EnqueueAsync.");
            }

            waiter = new RoomWaiter(this, request);
            (_roomWaiters ??= new()).AddLast(waiter.Node);
            AssertInvariants();
        }

        // Outside the gate: a token cancelled already runs the callback here, and the callback takes the gate.
        var registration = cancellationToken.UnsafeRegister(static (state, token) => ((RoomWaiter)state!).Entry.GiveUpRoom((RoomWaiter)state!, token), waiter);
        room = WaitForRoomAsync(waiter.Done.Task, registration);
        return RunDecision.Held;

        static async Task WaitForRoomAsync(Task room, CancellationTokenRegistration registration)
        {
            using (registration)
            {
                await room.ConfigureAwait(false);
            }
        }
    }

    /// <summary>Waits until the job has no run queued, running, pending or held (see <see cref="IJobMonitor.WaitForIdleAsync"/>).</summary>
    public Task WaitForIdleAsync(CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        Task idle;
        lock (_gate)
        {
            if (IsIdleLocked())
            {
                return Task.CompletedTask;
            }

            idle = (_idle ??= new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        return idle.WaitAsync(cancellationToken);
    }

    public void OnStarted() => Interlocked.Increment(ref _executing);

    /// <summary>
    /// Called when a run ends (or a queued one is dropped): its room is free for the next held run (<see cref="TryTakeNext"/>).
    /// With <paramref name="recording"/>, the run's history is still being written: the job is not idle until
    /// <see cref="OnRecorded"/>, but its next run may start meanwhile.
    /// </summary>
    public void OnCompleted(bool started, JobRun? run, bool recording = false)
    {
        TaskCompletionSource? idle;
        if (started)
        {
            Interlocked.Decrement(ref _executing);
        }

        lock (_gate)
        {
            if (run is not null)
            {
                _lastRun = run;
                _runCount++;
                var c = run.Counts;
                _totals = new RecordCounts(_totals.Read + c.Read, _totals.Delivered + c.Delivered, _totals.Skipped + c.Skipped, _totals.Failed + c.Failed);
                _consecutiveFailures = run.Outcome == JobOutcome.Failed ? _consecutiveFailures + 1 : run.Outcome == JobOutcome.Cancelled ? _consecutiveFailures : 0;
            }

            _inFlight--;
            if (recording)
            {
                _recording++;
            }

            AssertInvariants();
            idle = TakeIdleLocked();
        }

        idle?.TrySetResult();
    }

    /// <summary>Called once the history write of a run completed with <c>recording</c> is done (committed, or failed and logged).</summary>
    public void OnRecorded()
    {
        TaskCompletionSource? idle;
        lock (_gate)
        {
            _recording--;
            AssertInvariants();
            idle = TakeIdleLocked();
        }

        idle?.TrySetResult();
    }

    /// <summary>Returns true once every <see cref="JobOptions.MaxArchivedRuns"/> runs: time to trim the history.</summary>
    public bool ShouldPurgeHistory()
    {
        lock (_gate)
        {
            if (++_runsSincePurge < Options.MaxArchivedRuns)
            {
                return false;
            }

            _runsSincePurge = 0;
            AssertInvariants();
            return true;
        }
    }

    /// <summary>
    /// Puts new settings in force (a run-time definition change): runs that started keep the executor they read; the next
    /// run uses the new one. A raised <see cref="JobOptions.MaxConcurrency"/> leaves room for held runs (the engine takes
    /// them); a lowered one lets the runs in flight finish and starts no more until they are under it.
    /// </summary>
    public void Redefine(JobOptions options, Schedule schedule, IJobExecutor executor)
    {
        lock (_gate)
        {
            Volatile.Write(ref _settings, new Settings(options, schedule, executor));
            _scheduleText = null;
            AssertInvariants();
        }
    }

    /// <summary>
    /// Applies an operator's change here (null leaves a part as it is) and returns the fields it changed, to store, each
    /// stamped at <paramref name="now"/> to the microsecond (what every store keeps), and after any change this job saw.
    /// </summary>
    public OperatorStateField[] Control(bool? paused, bool? disabled, DateTimeOffset now) => Control(paused, disabled, now, out _);

    /// <summary>
    /// Applies an operator's change here, as <see cref="Control(bool?, bool?, DateTimeOffset)"/>, and gives each part it
    /// set with its value before and after (for the audit trail; the same when the part already had it).
    /// </summary>
    public OperatorStateField[] Control(bool? paused, bool? disabled, DateTimeOffset now, out OperatorChangeValue[] values)
    {
        var written = new List<OperatorStateField>(2);
        var changed = new List<OperatorChangeValue>(2);
        Change(() =>
        {
            var last = _pausedChangedAt is not { } pausedAt || _disabledChangedAt > pausedAt ? _disabledChangedAt : pausedAt;  // either field's
            var at = OperatorStateValues.Stamp(now, last);
            if (paused is { } p)
            {
                changed.Add(new OperatorChangeValue(OperatorStateValues.Paused, OperatorStateValues.Format(_paused), OperatorStateValues.Format(p)));
                (_paused, _pausedChangedAt) = (p, at);
                written.Add(new OperatorStateField(OperatorStateValues.Paused, OperatorStateValues.Format(p), at));
            }

            if (disabled is { } d)
            {
                changed.Add(new OperatorChangeValue(OperatorStateValues.Disabled, OperatorStateValues.Format(_disabled), OperatorStateValues.Format(d)));
                (_disabled, _disabledChangedAt) = (d, at);
                written.Add(new OperatorStateField(OperatorStateValues.Disabled, OperatorStateValues.Format(d), at));
            }
        });
        values = [.. changed];
        return [.. written];
    }

    /// <summary>
    /// Applies stored fields (paused, disabled), each unless this job saw a change of it as new or newer (the newest change
    /// wins per field). Fields it does not know, or values it cannot read, are ignored.
    /// </summary>
    public void Restore(IReadOnlyList<OperatorStateField> fields) => Change(() =>
    {
        foreach (var field in fields)
        {
            if (field is null || OperatorStateValues.ParseFlag(field.Value) is not { } value)
            {
                continue;
            }

            if (field.Name == OperatorStateValues.Paused && !(_pausedChangedAt >= field.ChangedAt))
            {
                (_paused, _pausedChangedAt) = (value, field.ChangedAt);
            }
            else if (field.Name == OperatorStateValues.Disabled && !(_disabledChangedAt >= field.ChangedAt))
            {
                (_disabled, _disabledChangedAt) = (value, field.ChangedAt);
            }
        }
    });

    /// <summary>Applies a change under one lock; a disabled job drops what it held (a resumed or enabled one's held runs are the engine's to take).</summary>
    private void Change(Action apply)
    {
        List<RunRequest>? refused = null;
        List<RoomWaiter>? refusedWaiters = null;
        TaskCompletionSource? idle;
        lock (_gate)
        {
            apply();
            if (_disabled)
            {
                // A disabled job drops what it held; awaiting callers are told.
                _pending = false;
                if (_requests is { Count: > 0 })
                {
                    refused = [.. _requests];
                    _requests.Clear();
                }

                refusedWaiters = TakeRoomWaitersLocked();
            }

            AssertInvariants();
            idle = TakeIdleLocked();
        }

        idle?.TrySetResult();
        foreach (var request in refused ?? [])
        {
            request.Completion.TrySetException(new InvalidOperationException($"Job '{Name}' was disabled before the run started."));
        }

        foreach (var waiter in refusedWaiters ?? [])
        {
            waiter.Refuse(new InvalidOperationException($"Job '{Name}' was disabled before the run was queued."));
        }
    }

    /// <summary>
    /// Takes the next held run (the oldest request, else the pending follow-up) if there is room for it: it is in flight
    /// from now, for the engine to hand to the workers. The engine takes until this says no after a run, on resume and
    /// on engine start.
    /// </summary>
    public bool TryTakeNext(out WorkItem item)
    {
        RoomWaiter? admitted = null;
        lock (_gate)
        {
            if (!CanStartLocked())
            {
                item = default;
                return false;
            }

            if (_requests is { Count: > 0 })
            {
                var request = _requests.Dequeue();
                item = new WorkItem(this, request.Trigger, request);

                // The freed place goes to the oldest caller waiting for room, under the same gate: no one overtakes it.
                if (_roomWaiters?.First is { } first)
                {
                    admitted = first.Value;
                    _roomWaiters.RemoveFirst();
                    _requests.Enqueue(admitted.Request);
                }
            }
            else if (_pending)
            {
                _pending = false;
                item = new WorkItem(this, _pendingTrigger, null);
            }
            else
            {
                item = default;
                return false;
            }

            _inFlight++;
            AssertInvariants();
        }

        admitted?.Admit();
        return true;
    }

    /// <summary>The engine has started: runs may start (what was asked for before is the engine's to take). Once the engine is stopping, it stays so.</summary>
    public void Open()
    {
        lock (_gate)
        {
            _accepting = !_stopping;
            AssertInvariants();
        }
    }

    /// <summary>The engine is stopping: no run starts here any more, and a run asked for by hand is refused.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _accepting = false;
            _stopping = true;
            AssertInvariants();
        }
    }

    /// <summary>Drops every held request (engine stopping).</summary>
    public void CancelWaiting()
    {
        List<RunRequest>? cancelled = null;
        List<RoomWaiter>? refusedWaiters;
        TaskCompletionSource? idle;
        lock (_gate)
        {
            _pending = false;
            if (_requests is { Count: > 0 })
            {
                cancelled = [.. _requests];
                _requests.Clear();
            }

            refusedWaiters = TakeRoomWaitersLocked();
            AssertInvariants();
            idle = TakeIdleLocked();
        }

        idle?.TrySetResult();
        foreach (var request in cancelled ?? [])
        {
            request.Completion.TrySetException(new InvalidOperationException($"Job '{Name}' was not run: the engine is stopping."));
        }

        foreach (var waiter in refusedWaiters ?? [])
        {
            waiter.Refuse(new InvalidOperationException($"Job '{Name}' was not run: the engine is stopping."));
        }
    }

    public JobStatus GetStatus()
    {
        lock (_gate)
        {
            var state = _disabled ? JobState.Disabled
                : Volatile.Read(ref _executing) > 0 ? JobState.Running
                : _paused ? JobState.Paused
                : _inFlight > 0 || _pending || _requests is { Count: > 0 } ? JobState.Queued
                : JobState.Idle;
            return new JobStatus
            {
                JobName = Name,
                State = state,
                Schedule = _scheduleText ??= Schedule.ToString(),
                NextFireTime = _disabled ? null : NextFireTime,
                LastRun = _lastRun,
                ConsecutiveFailures = _consecutiveFailures,
                RunCount = _runCount,
                TotalCounts = _totals,
            };
        }
    }

    /// <summary>
    /// Checks, in debug builds, what the gate guards: runs in flight (queued or running) stay within
    /// <see cref="JobOptions.MaxConcurrency"/> and are at least the runs executing; a disabled job holds no pending
    /// follow-up and no waiting request; waiting requests stay within their limit. Called under the gate after each change.
    /// </summary>
    [Conditional("DEBUG")]
    private void AssertInvariants()
    {
        Debug.Assert(_gate.IsHeldByCurrentThread, $"Job '{Name}': invariants are checked under the gate.");
        // In flight may exceed MaxConcurrency only after it was lowered (Redefine): no run starts until it is under it again.
        Debug.Assert(_inFlight >= 0, $"Job '{Name}': {_inFlight} runs in flight.");
        var executing = Volatile.Read(ref _executing);
        Debug.Assert(executing >= 0 && executing <= _inFlight, $"Job '{Name}': {executing} runs executing of {_inFlight} in flight.");
        Debug.Assert(!_disabled || (!_pending && _requests is not { Count: > 0 } && _roomWaiters is not { Count: > 0 }), $"Job '{Name}' is disabled but holds a pending run, waiting requests or callers waiting for room.");
        Debug.Assert(_roomWaiters is not { Count: > 0 } || _requests is { Count: JobDefaults.MaxWaitingRequests }, $"Job '{Name}': callers wait for room while the queue of requests has room ({_requests?.Count}).");
        Debug.Assert(_requests is not { Count: > JobDefaults.MaxWaitingRequests }, $"Job '{Name}': {_requests?.Count} requests waiting, more than {JobDefaults.MaxWaitingRequests}.");
        Debug.Assert(!(_accepting && _stopping), $"Job '{Name}' takes runs while the engine is stopping.");
        Debug.Assert(_runCount >= 0 && _consecutiveFailures >= 0 && _runsSincePurge >= 0 && _recording >= 0, $"Job '{Name}': a run count is negative.");
    }

    /// <summary>Idle: no run in flight (queued or running) or being recorded, none pending, none waiting its turn or for room.</summary>
    private bool IsIdleLocked() => _inFlight == 0 && _recording == 0 && !_pending && _requests is not { Count: > 0 } && _roomWaiters is not { Count: > 0 };

    /// <summary>Takes the waiters for idleness when the job is idle, to be completed outside the gate.</summary>
    private TaskCompletionSource? TakeIdleLocked()
    {
        if (_idle is null || !IsIdleLocked())
        {
            return null;
        }

        var idle = _idle;
        _idle = null;
        return idle;
    }

    /// <summary>Takes every caller waiting for room, to be refused outside the gate.</summary>
    private List<RoomWaiter>? TakeRoomWaitersLocked()
    {
        if (_roomWaiters is not { Count: > 0 })
        {
            return null;
        }

        List<RoomWaiter> taken = [.. _roomWaiters];
        _roomWaiters.Clear();
        return taken;
    }

    /// <summary>A waiting caller's token was cancelled: it leaves the line, unless its request is queued already.</summary>
    private void GiveUpRoom(RoomWaiter waiter, CancellationToken cancellationToken)
    {
        TaskCompletionSource? idle;
        lock (_gate)
        {
            if (waiter.Node.List is null)
            {
                return;
            }

            _roomWaiters!.Remove(waiter.Node);
            AssertInvariants();
            idle = TakeIdleLocked();
        }

        idle?.TrySetResult();
        waiter.Done.TrySetCanceled(cancellationToken);
    }

    private bool CanStartLocked() => !_paused && _accepting && _inFlight < Options.MaxConcurrency;

    /// <summary>The settings in force together: a run reads them once.</summary>
    private sealed record Settings(JobOptions Options, Schedule Schedule, IJobExecutor Executor);

    /// <summary>An <see cref="JobEngine.EnqueueAsync"/> caller waiting for room in the queue of requests.</summary>
    private sealed class RoomWaiter
    {
        public RoomWaiter(JobEntry entry, RunRequest request)
        {
            Entry = entry;
            Request = request;
            Node = new LinkedListNode<RoomWaiter>(this);
        }

        public JobEntry Entry { get; }

        public RunRequest Request { get; }

        /// <summary>Gets the waiter's place in the line (in no list once admitted, refused or given up).</summary>
        public LinkedListNode<RoomWaiter> Node { get; }

        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>The request is in the queue: the caller returns its handle.</summary>
        public void Admit() => Done.TrySetResult();

        public void Refuse(Exception reason) => Done.TrySetException(reason);
    }
}
