namespace Commerce.Jobs.Runners;

/// <summary>Runs one job's body; created once per job when the engine starts.</summary>
internal interface IJobExecutor
{
    ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken);
}
