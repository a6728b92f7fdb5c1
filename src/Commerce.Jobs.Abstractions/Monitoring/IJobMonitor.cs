namespace Commerce.Jobs;

/// <summary>Answers "what is every job doing": state, last run, next fire time, history.</summary>
public interface IJobMonitor
{
    /// <summary>Gets a snapshot of every registered job, ordered by name.</summary>
    /// <returns>The snapshots.</returns>
    IReadOnlyList<JobStatus> GetStatuses();

    /// <summary>Gets a snapshot of one job.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <returns>The snapshot.</returns>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    JobStatus GetStatus(string jobName);

    /// <summary>Gets a job's most recent runs, newest first, with their logs.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="maxRuns">The most runs to return.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The runs.</returns>
    ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken);

    /// <summary>Gets the health of every delivery target that has been used, ordered by name.</summary>
    /// <returns>The snapshots.</returns>
    IReadOnlyList<TargetHealth> GetTargetHealth();
}
