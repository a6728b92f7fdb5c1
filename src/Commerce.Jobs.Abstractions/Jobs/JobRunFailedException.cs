namespace Commerce.Jobs;

/// <summary>
/// Thrown by <see cref="IJobRunner.RunAsync"/> when the awaited run failed: the job threw, or returned
/// <see cref="JobOutcome.Failed"/>. The run is in the job's history under <see cref="RunId"/>.
/// </summary>
/// <remarks>
/// <see cref="Exception.Message"/> is the run's error (<see cref="JobResult.Error"/>), capped at 4,000 characters and
/// made safe like every error the engine keeps; it may carry a target's or a record's text: show it as text.
/// </remarks>
public sealed class JobRunFailedException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="JobRunFailedException"/> class.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="runId">The id the run is recorded under.</param>
    /// <param name="result">The failed run's result.</param>
    public JobRunFailedException(string jobName, Guid runId, JobResult result)
        : base(Describe(jobName, runId, result))
    {
        JobName = jobName;
        RunId = runId;
        Result = result;
    }

    /// <summary>Gets the job's name.</summary>
    public string JobName { get; }

    /// <summary>Gets the id the run is recorded under in the job's history (<see cref="JobRun.RunId"/>).</summary>
    public Guid RunId { get; }

    /// <summary>Gets the failed run's result: its outcome, error and record counts.</summary>
    public JobResult Result { get; }

    private static string Describe(string jobName, Guid runId, JobResult result)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobName);
        ArgumentNullException.ThrowIfNull(result);
        return OutsideText.Cap(result.Error) ?? $"Job '{jobName}' run {runId} failed.";
    }
}
