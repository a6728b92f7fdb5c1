namespace Commerce.Jobs;

/// <summary>What one run of a job is: its job, id, trigger, parameters and log.</summary>
/// <remarks>
/// The engine creates a context for every run. Hosts create one directly to unit-test a job.
/// Lines written with <see cref="Log"/> are kept with the run in its history (up to
/// <see cref="MaxLogLines"/>; later lines are counted, not kept). A line longer than 8,000 characters is cut, ending
/// with "… (truncated, N chars)"; NUL and lone surrogates become U+FFFD. <see cref="Log"/> may be called from several
/// threads at once.
/// </remarks>
public sealed class JobContext
{
    /// <summary>The most log lines one run keeps.</summary>
    public const int MaxLogLines = 1000;

    private List<JobLogEntry>? _log;
    private int _droppedLogLines;

    /// <summary>Initializes a new instance of the <see cref="JobContext"/> class.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="runId">The run's id.</param>
    /// <param name="trigger">What started the run.</param>
    /// <param name="parameters">The parameters the run was started with, if any.</param>
    /// <param name="services">The services of the run's scope.</param>
    /// <param name="timeProvider">The clock.</param>
    public JobContext(string jobName, Guid runId, TriggerKind trigger, object? parameters, IServiceProvider services, TimeProvider timeProvider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobName);
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(timeProvider);
        JobName = jobName;
        RunId = runId;
        Trigger = trigger;
        Parameters = parameters;
        Services = services;
        TimeProvider = timeProvider;
    }

    /// <summary>Gets the job's name.</summary>
    public string JobName { get; }

    /// <summary>Gets the run's id, unique across hosts.</summary>
    public Guid RunId { get; }

    /// <summary>Gets what started the run.</summary>
    public TriggerKind Trigger { get; }

    /// <summary>Gets the parameters the run was started with, if any.</summary>
    public object? Parameters { get; }

    /// <summary>Gets the services of the run's scope.</summary>
    public IServiceProvider Services { get; }

    /// <summary>Gets the clock the run must read time from.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>Gets a snapshot of the lines logged so far: lines logged later do not change it.</summary>
    public IReadOnlyList<JobLogEntry> LogEntries
    {
        get
        {
            var log = Volatile.Read(ref _log);
            if (log is null)
            {
                return [];
            }

            lock (log)
            {
                return [.. log];
            }
        }
    }

    /// <summary>Gets how many lines were logged past <see cref="MaxLogLines"/> and not kept.</summary>
    public int DroppedLogLines
    {
        get
        {
            var log = Volatile.Read(ref _log);
            if (log is null)
            {
                return 0;
            }

            lock (log)
            {
                return _droppedLogLines;
            }
        }
    }

    /// <summary>Gets the parameters as <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The parameter type the job expects.</typeparam>
    /// <returns>The parameters.</returns>
    /// <exception cref="InvalidOperationException">The run has no parameters of that type.</exception>
    public T GetParameters<T>() => Parameters is T value
        ? value
        : throw new InvalidOperationException($"Job '{JobName}' expects parameters of type {typeof(T).Name} but was given {(Parameters is null ? "none" : Parameters.GetType().Name)}.");

    /// <summary>Adds a line to the run's log (thread-safe).</summary>
    /// <param name="level">The severity.</param>
    /// <param name="message">The text: cut at 8,000 characters with a marker, NUL and lone surrogates replaced.</param>
    public void Log(JobLogLevel level, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var text = OutsideText.Cap(message, OutsideText.MaxLogLineLength);
        var log = Volatile.Read(ref _log) ?? CreateLog();
        lock (log)
        {
            if (log.Count < MaxLogLines)
            {
                log.Add(new JobLogEntry(TimeProvider.GetUtcNow(), level, text));
            }
            else
            {
                _droppedLogLines++;
            }
        }
    }

    /// <summary>Creates the log on the first line; of threads logging their first lines at once, one list wins.</summary>
    private List<JobLogEntry> CreateLog()
    {
        var created = new List<JobLogEntry>();
        return Interlocked.CompareExchange(ref _log, created, null) ?? created;
    }
}
