namespace Commerce.Jobs.Storage;

/// <summary>
/// The run history role of a job store: each job's finished runs with their counts and logs, newest first, purged by
/// count and age.
/// </summary>
/// <remarks>Implementations are thread-safe. Job names compare case-insensitively.</remarks>
public interface IRunHistoryStore
{
    /// <summary>Adds a finished run to its job's history.</summary>
    /// <param name="run">The run.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the run is stored.</returns>
    ValueTask AddRunAsync(JobRun run, CancellationToken cancellationToken);

    /// <summary>Gets a job's most recent runs, newest first.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="maxRuns">The most runs to return.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The runs.</returns>
    ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken);

    /// <summary>Purges a job's history: keeps at most <paramref name="keepLast"/> runs and none that ended before <paramref name="endedBefore"/>.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="keepLast">The most runs to keep.</param>
    /// <param name="endedBefore">Runs that ended before this are removed.</param>
    /// <param name="cancellationToken">Cancels the purge.</param>
    /// <returns>How many runs were removed.</returns>
    ValueTask<int> PurgeRunsAsync(string jobName, int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken);
}
