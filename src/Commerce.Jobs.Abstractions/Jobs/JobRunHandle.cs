namespace Commerce.Jobs;

/// <summary>
/// A run queued with <see cref="IJobRunner.Enqueue"/> or <see cref="IJobRunner.EnqueueAsync"/>: its id, known before it
/// begins, and its completion.
/// </summary>
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

    /// <summary>Gets a task that completes with the run's result, once the run is in the job's history.</summary>
    /// <remarks>
    /// It completes with the result whatever the run's outcome: a failed run gives a result whose
    /// <see cref="JobResult.Outcome"/> is <see cref="JobOutcome.Failed"/> (a handle is not an awaited call; unlike
    /// <see cref="IJobRunner.RunAsync"/> it does not throw <see cref="JobRunFailedException"/>), so read the outcome.
    /// It faults with <see cref="InvalidOperationException"/> only when the run never starts: the job was disabled or the
    /// engine stopped while the run waited its turn.
    /// </remarks>
    public Task<JobResult> Completion { get; }
}
