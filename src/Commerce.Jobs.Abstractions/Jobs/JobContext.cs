namespace Commerce.Jobs;

/// <summary>What one run of a job is: its job, id, trigger, parameters and log.</summary>
/// <remarks>
/// The engine creates a context for every run. Hosts create one directly to unit-test a job.
/// Lines written with <see cref="Log"/> are kept with the run in its history (up to
/// <see cref="MaxLogLines"/>; later lines are counted, not kept).
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

    /// <summary>Gets the lines logged so far.</summary>
    public IReadOnlyList<JobLogEntry> LogEntries => (IReadOnlyList<JobLogEntry>?)_log ?? [];

    /// <summary>Gets how many lines were logged past <see cref="MaxLogLines"/> and not kept.</summary>
    public int DroppedLogLines => _droppedLogLines;

    /// <summary>Gets the parameters as <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The parameter type the job expects.</typeparam>
    /// <returns>The parameters.</returns>
    /// <exception cref="InvalidOperationException">The run has no parameters of that type.</exception>
    public T GetParameters<T>() => Parameters is T value
        ? value
        : throw new InvalidOperationException($"Job '{JobName}' expects parameters of type {typeof(T).Name} but was given {(Parameters is null ? "none" : Parameters.GetType().Name)}.");

    /// <summary>Adds a line to the run's log.</summary>
    /// <param name="level">The severity.</param>
    /// <param name="message">The text.</param>
    public void Log(JobLogLevel level, string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var log = _log ??= [];
        lock (log)
        {
            if (log.Count < MaxLogLines)
            {
                log.Add(new JobLogEntry(TimeProvider.GetUtcNow(), level, message));
            }
            else
            {
                _droppedLogLines++;
            }
        }
    }
}
