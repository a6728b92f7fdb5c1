namespace Commerce.Jobs;

/// <summary>A snapshot of one job for a monitor or a status report.</summary>
public sealed class JobStatus
{
    /// <summary>Gets the job's name.</summary>
    public required string JobName { get; init; }

    /// <summary>Gets what the job is doing now.</summary>
    public required JobState State { get; init; }

    /// <summary>Gets the job's schedule in words ("every 00:30:00 and daily at 02:00 (Europe/Berlin)").</summary>
    public required string Schedule { get; init; }

    /// <summary>Gets when the job's timed schedule fires next, if it has one.</summary>
    public DateTimeOffset? NextFireTime { get; init; }

    /// <summary>Gets the job's last finished run, if any.</summary>
    public JobRun? LastRun { get; init; }

    /// <summary>Gets how many runs in a row have failed (zero after a success).</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>Gets the number of runs finished since the engine started.</summary>
    public long RunCount { get; init; }

    /// <summary>Gets the record counts of every run since the engine started, added up.</summary>
    public RecordCounts TotalCounts { get; init; }
}
