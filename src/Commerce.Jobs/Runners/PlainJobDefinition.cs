using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Runners;

/// <summary>
/// A plain <see cref="IIntegrationJob"/> resolved for every run: from the run's scope, unless the job type is
/// registered as a singleton (its last registration in <paramref name="registrations"/> when the engine is made), when
/// it is resolved from the root and the run makes no scope. A scoped or transient job type (the default) always gets
/// the run's scope, since its dependencies may be scoped, or disposable and owned by the scope.
/// </summary>
internal sealed class PlainJobDefinition<TJob>(string name, IServiceCollection? registrations = null) : JobDefinition(name)
    where TJob : class, IIntegrationJob
{
    public override IJobExecutor CreateExecutor(IServiceProvider services, JobOptions options)
    {
        var lifetime = registrations?.LastOrDefault(d => d.ServiceType == typeof(TJob) && !d.IsKeyedService)?.Lifetime;
        return lifetime == ServiceLifetime.Singleton ? new Singleton(services) : Scoped.Instance;
    }

    /// <summary>Resolved from the run's scope (made by this resolution).</summary>
    private sealed class Scoped : IJobExecutor
    {
        public static readonly Scoped Instance = new();

        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
            => context.Services.GetRequiredService<TJob>().ExecuteAsync(context, cancellationToken);
    }

    /// <summary>A singleton job type, resolved from the root provider: no scope per run.</summary>
    private sealed class Singleton(IServiceProvider root) : IJobExecutor
    {
        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
            => root.GetRequiredService<TJob>().ExecuteAsync(context, cancellationToken);
    }
}
