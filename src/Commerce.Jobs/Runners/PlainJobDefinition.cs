using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Runners;

/// <summary>A plain <see cref="IIntegrationJob"/> resolved from the run's scope for every run.</summary>
internal sealed class PlainJobDefinition<TJob>(string name) : JobDefinition(name), IJobExecutor
    where TJob : class, IIntegrationJob
{
    public override IJobExecutor CreateExecutor(IServiceProvider services, JobOptions options) => this;

    public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
        => context.Services.GetRequiredService<TJob>().ExecuteAsync(context, cancellationToken);
}
