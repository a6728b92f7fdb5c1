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

    /// <summary>
    /// Gets the outcome of the run of a job recorded just before one of its runs, in the order <see cref="GetRunsAsync"/>
    /// returns the history, without reading any run's log: what a recovery check needs after every run.
    /// </summary>
    /// <param name="jobName">The job.</param>
    /// <param name="runId">The run whose predecessor is asked for.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>
    /// Whether the run is in the job's history and, if it is and is not the job's first, the outcome of the run before it.
    /// </returns>
    /// <remarks>
    /// The default implementation reads the job's newest runs through <see cref="GetRunsAsync"/> (logs and all), in growing
    /// windows until the run is found or the whole history was read; a store that can answer from an index should override it.
    /// </remarks>
    async ValueTask<RunPredecessor> GetPredecessorAsync(string jobName, Guid runId, CancellationToken cancellationToken)
    {
        for (var window = 2; ; window = window >= int.MaxValue / 16 ? int.MaxValue : window * 16)
        {
            var runs = await GetRunsAsync(jobName, window, cancellationToken).ConfigureAwait(false);
            for (var i = 0; i < runs.Count; i++)
            {
                if (runs[i].RunId == runId)
                {
                    if (i + 1 < runs.Count)
                    {
                        return new RunPredecessor(true, runs[i + 1].Outcome);
                    }

                    if (runs.Count < window)
                    {
                        return new RunPredecessor(true, null);   // the job's first run
                    }

                    break;   // the newest of a full window: the run before it is in the next, longer read
                }
            }

            if (runs.Count < window || window == int.MaxValue)
            {
                return default;   // the whole history read, the run not in it
            }
        }
    }

    /// <summary>
    /// Gets what <see cref="GetPredecessorAsync"/> answers for each of several runs of one job, in one call: what a recovery
    /// check asks after a burst of a job's runs.
    /// </summary>
    /// <param name="jobName">The job.</param>
    /// <param name="runIds">The runs whose predecessors are asked for (may be empty, hold ids not in the history, or repeat an id).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>One answer per id of <paramref name="runIds"/>, in its order: as <see cref="GetPredecessorAsync"/> answers for that id.</returns>
    /// <remarks>
    /// The default implementation asks <see cref="GetPredecessorAsync"/> for each id in turn; a store that can answer all of
    /// them in one statement (one round trip) should override it.
    /// </remarks>
    async ValueTask<IReadOnlyList<RunPredecessor>> GetPredecessorsAsync(string jobName, IReadOnlyList<Guid> runIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        var predecessors = new RunPredecessor[runIds.Count];
        for (var i = 0; i < predecessors.Length; i++)
        {
            predecessors[i] = await GetPredecessorAsync(jobName, runIds[i], cancellationToken).ConfigureAwait(false);
        }

        return predecessors;
    }

    /// <summary>Purges a job's history: keeps at most <paramref name="keepLast"/> runs and none that ended before <paramref name="endedBefore"/>.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="keepLast">The most runs to keep.</param>
    /// <param name="endedBefore">Runs that ended before this are removed.</param>
    /// <param name="cancellationToken">Cancels the purge.</param>
    /// <returns>How many runs were removed.</returns>
    ValueTask<int> PurgeRunsAsync(string jobName, int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken);
}
