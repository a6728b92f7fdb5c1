namespace Commerce.Jobs;

/// <summary>The operator state of jobs (paused, disabled), shared by every host of the application.</summary>
public partial interface IJobStore
{
    /// <summary>Gets every job's stored operator state.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>One entry per job an operator paused, resumed, disabled or enabled; none for jobs never touched.</returns>
    ValueTask<IReadOnlyList<JobControl>> GetJobControlsAsync(CancellationToken cancellationToken);

    /// <summary>Stores a job's operator state, replacing what was stored for it.</summary>
    /// <param name="control">The job's state.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the state is stored.</returns>
    ValueTask SetJobControlAsync(JobControl control, CancellationToken cancellationToken);
}
