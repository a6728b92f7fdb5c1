namespace Commerce.Jobs.Runners;

/// <summary>
/// What one worker is running, so that a shutdown can abandon a run that ignores cancellation. One per worker, reused
/// run after run (no allocation per run). Exactly one side finishes a run: the worker (<see cref="Claim"/>) or the
/// shutdown (<see cref="Abandon"/>); the other leaves it alone.
/// </summary>
internal sealed class WorkerSlot
{
    private const int Idle = 0;
    private const int Running = 1;     // in the job's body (or its scope)
    private const int Finishing = 2;   // the worker makes its record and frees the job's room (the history write and the answer follow, off the slot)
    private const int Abandoned = 3;   // the shutdown recorded and answered it
    private const int Closed = 4;      // the engine stopped: no run begins
    private const int FinishingClosed = 5; // being finished by the worker when the engine stopped: it still answers and completes it

    private readonly Lock _gate = new();
    private int _state;
    private JobEntry? _entry;
    private WorkItem _item;
    private Guid _runId;
    private DateTimeOffset _startedAt;
    private JobContext? _context;
    private WorkItem _kept;     // the worker's own next run (touched by its worker only, never by the shutdown)
    private bool _hasKept;
    private int _keptInARow;    // runs taken by Keep since the worker last read the channel

    /// <summary>Takes a run; refused once the engine has closed the slot.</summary>
    public bool Begin(WorkItem item, Guid runId, DateTimeOffset startedAt)
    {
        lock (_gate)
        {
            if (_state == Closed)
            {
                return false;
            }

            _state = Running;
            _entry = item.Entry;
            _item = item;
            _runId = runId;
            _startedAt = startedAt;
            _context = null;
            return true;
        }
    }

    /// <summary>How many runs in a row a worker takes by <see cref="Keep"/> before it goes through the channel again.</summary>
    internal const int MaxKeptInARow = 8;

    /// <summary>
    /// Keeps a run (in flight already) for this slot's worker to take next, before it reads the channel: the worker that
    /// freed a job's room runs the job's next held run itself, with no hand-off through the channel and no other worker
    /// woken for it. Called by the worker only; it holds one at most. After <see cref="MaxKeptInARow"/> in a row it
    /// refuses once, so that the run goes through the channel: a parked worker takes it, and this one, finding the channel
    /// empty, returns its thread to the pool, so what waits in that thread's queue (the continuations of the callers it
    /// answered) is not held up by a long burst of runs that complete synchronously. With every worker busy, the next
    /// read may take the run straight back.
    /// </summary>
    /// <returns><see langword="false"/> when the worker holds one already, or took its share in a row.</returns>
    public bool Keep(WorkItem item)
    {
        if (_hasKept || _keptInARow >= MaxKeptInARow)
        {
            return false;
        }

        (_kept, _hasKept) = (item, true);
        return true;
    }

    /// <summary>Takes the run kept by <see cref="Keep"/>, if any.</summary>
    public bool TryTakeKept(out WorkItem item)
    {
        (item, _kept, _hasKept) = (_kept, default, false);
        _keptInARow = item.Entry is null ? 0 : _keptInARow + 1;
        return item.Entry is not null;
    }

    /// <summary>Keeps the run's context, whose log an abandoned run's record keeps.</summary>
    public void Attach(JobContext context)
    {
        lock (_gate)
        {
            _context = context;
        }
    }

    /// <summary>The job's body returned: the worker finishes the run unless the shutdown abandoned it.</summary>
    public bool Claim()
    {
        lock (_gate)
        {
            if (_state != Running)
            {
                return false;
            }

            _state = Finishing;
            return true;
        }
    }

    /// <summary>Frees the slot after a run.</summary>
    /// <returns><see langword="false"/> when the shutdown abandoned the run (it released it and answered its caller).</returns>
    public bool Release()
    {
        lock (_gate)
        {
            var owned = _state is Running or Finishing or FinishingClosed;
            _state = _state is Abandoned or Closed or FinishingClosed ? Closed : Idle;

            _entry = null;
            _item = default;
            _context = null;
            return owned;
        }
    }

    /// <summary>
    /// Closes the slot (shutdown, after the grace period and the cancellation): a run still in its body is taken
    /// over and returned, to be recorded as cancelled; a run being finished (its body returned) stays its worker's, which
    /// completes it, writes its history and answers its caller with its real outcome (the stop awaits those writes).
    /// </summary>
    public AbandonedRun? Abandon()
    {
        lock (_gate)
        {
            var state = _state;
            _state = state switch
            {
                Running => Abandoned,
                Finishing or FinishingClosed => FinishingClosed,
                _ => Closed,
            };
            return state == Running ? new AbandonedRun(_entry!, _item, _runId, _startedAt, _context) : null;
        }
    }
}

/// <summary>A run that did not return after the grace period and its cancellation: recorded and answered by the shutdown.</summary>
internal sealed record AbandonedRun(JobEntry Entry, WorkItem Item, Guid RunId, DateTimeOffset StartedAt, JobContext? Context);
