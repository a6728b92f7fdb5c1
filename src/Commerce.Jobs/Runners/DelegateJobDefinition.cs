namespace Commerce.Jobs.Runners;

/// <summary>A job whose body is a delegate.</summary>
internal sealed class DelegateJobDefinition(string name, Func<JobContext, CancellationToken, ValueTask<JobResult>> body) : JobDefinition(name), IJobExecutor
{
    public override IJobExecutor CreateExecutor(IServiceProvider services, JobOptions options) => this;

    public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken) => body(context, cancellationToken);
}
