namespace Commerce.Jobs;

/// <summary>What a failure notifier is told about a run.</summary>
/// <param name="JobName">The job's name.</param>
/// <param name="HostName">The host that ran it.</param>
/// <param name="Time">When the run ended.</param>
/// <param name="Error">What went wrong (null when notifying after a successful run).</param>
/// <param name="Run">The run, with its counts and log.</param>
public sealed record JobFailure(string JobName, string HostName, DateTimeOffset Time, string? Error, JobRun Run);
