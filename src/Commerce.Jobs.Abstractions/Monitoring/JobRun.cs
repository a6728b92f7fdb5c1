namespace Commerce.Jobs;

/// <summary>One run of a job, as kept in its history.</summary>
public sealed class JobRun
{
    /// <summary>Gets the run's id, unique across hosts.</summary>
    public required Guid RunId { get; init; }

    /// <summary>Gets the job's name.</summary>
    public required string JobName { get; init; }

    /// <summary>Gets what started the run.</summary>
    public required TriggerKind Trigger { get; init; }

    /// <summary>Gets the name of the host that ran it.</summary>
    public required string HostName { get; init; }

    /// <summary>Gets when the run started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets when the run ended.</summary>
    public required DateTimeOffset EndedAt { get; init; }

    /// <summary>Gets how the run ended.</summary>
    public required JobOutcome Outcome { get; init; }

    /// <summary>Gets the record counts (all zero for a plain job).</summary>
    public RecordCounts Counts { get; init; }

    /// <summary>Gets the error that made the run fail or only partially succeed, if any.</summary>
    public string? Error { get; init; }

    /// <summary>Gets the run's log lines.</summary>
    public IReadOnlyList<JobLogEntry> Log { get; init; } = [];

    /// <summary>Gets how long the run took.</summary>
    public TimeSpan Duration => EndedAt - StartedAt;
}
