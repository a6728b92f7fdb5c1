namespace Commerce.Jobs;

/// <summary>A run started with <see cref="IJobRunner.Start"/>: its id, known before it begins, and its completion.</summary>
public sealed class JobRunHandle
{
    /// <summary>Initializes a new instance of the <see cref="JobRunHandle"/> class.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="runId">The id the run is recorded under.</param>
    /// <param name="completion">Completes with the run's result.</param>
    public JobRunHandle(string jobName, Guid runId, Task<JobResult> completion)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobName);
        ArgumentNullException.ThrowIfNull(completion);
        JobName = jobName;
        RunId = runId;
        Completion = completion;
    }

    /// <summary>Gets the job's name.</summary>
    public string JobName { get; }

    /// <summary>Gets the id the run is recorded under in the job's history (<see cref="JobRun.RunId"/>).</summary>
    public Guid RunId { get; }

    /// <summary>Gets a task that completes with the run's result.</summary>
    /// <remarks>
    /// It faults with <see cref="InvalidOperationException"/> when the run never starts: the job was disabled or the
    /// engine stopped while the run waited its turn.
    /// </remarks>
    public Task<JobResult> Completion { get; }
}
