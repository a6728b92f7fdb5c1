namespace Commerce.Jobs;

/// <summary>Holds what must outlive a run: run history with logs, and the records a job skipped or failed with their attempt counts and errors.</summary>
/// <remarks>
/// The engine registers an in-memory store by default; durable stores come in adapter packages.
/// Implementations are thread-safe.
/// </remarks>
public partial interface IJobStore
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

    /// <summary>Records that records were skipped or failed permanently: their attempt count goes up by one and the error is replaced.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="failures">The records; <see cref="RecordFailure.Attempts"/> is ignored and counted by the store.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the failures are stored (one write for the whole list).</returns>
    ValueTask AddRecordFailuresAsync(string jobName, IReadOnlyList<RecordFailure> failures, CancellationToken cancellationToken);

    /// <summary>Forgets the failures of records that have since been delivered.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="recordIds">The delivered records' ids; ids with no failure are ignored.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the failures are removed.</returns>
    ValueTask RemoveRecordFailuresAsync(string jobName, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken);

    /// <summary>Gets the records of a job that are skipped or failed, with attempt counts and last errors.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The failures, in no particular order.</returns>
    ValueTask<IReadOnlyList<RecordFailure>> GetRecordFailuresAsync(string jobName, CancellationToken cancellationToken);
}
