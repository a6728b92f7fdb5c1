using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Runners;

/// <summary>
/// A plain <see cref="IIntegrationJob"/> resolved for every run: from the root provider when that is the same as
/// resolving it from a scope (<see cref="NeedsNoScope"/>: the run then makes no scope unless the body resolves a service
/// from <see cref="JobContext.Services"/>), else from the run's scope. Read from the job type's last registration in
/// <paramref name="registrations"/> when the engine is made; without them every run gets its scope.
/// </summary>
internal sealed class PlainJobDefinition<TJob>(string name, IServiceCollection? registrations = null) : JobDefinition(name)
    where TJob : class, IIntegrationJob
{
    public override IJobExecutor CreateExecutor(IServiceProvider services, JobOptions options)
        => registrations is not null && NeedsNoScope(registrations) ? new Root(services) : Scoped.Instance;

    /// <summary>
    /// Whether the job type resolves to the same thing from the root provider as from a scope, and leaves nothing for a
    /// scope to dispose: it is registered as a singleton, or as a transient type (not a factory) that is neither
    /// <see cref="IDisposable"/> nor <see cref="IAsyncDisposable"/>, has one public constructor, and takes only services
    /// registered as singletons (the last registration of the type, else of its open generic, as the container picks
    /// it; no keyed parameter). Anything else — a scoped type or dependency, a transient dependency, one not registered
    /// here (<see cref="IServiceProvider"/>, <see cref="IEnumerable{T}"/>, an optional one), a parameter with an attribute
    /// (a keyed service), a factory — keeps the
    /// run's scope, since it may be scoped or disposable and owned by the scope.
    /// </summary>
    private static bool NeedsNoScope(IServiceCollection registrations)
    {
        var job = Last(registrations, typeof(TJob));
        if (job?.Lifetime == ServiceLifetime.Singleton)
        {
            return true;
        }

        if (job is not { Lifetime: ServiceLifetime.Transient, ImplementationType: { } type }
            || typeof(IDisposable).IsAssignableFrom(type)
            || typeof(IAsyncDisposable).IsAssignableFrom(type)
            || type.GetConstructors() is not [var constructor])
        {
            return false;
        }

        return constructor.GetParameters().All(p =>
            p.GetCustomAttributes().All(a => a.GetType().Namespace == "System.Runtime.CompilerServices")   // the compiler's nullability marks only
            && (Last(registrations, p.ParameterType)
                ?? (p.ParameterType.IsConstructedGenericType ? Last(registrations, p.ParameterType.GetGenericTypeDefinition()) : null))
                ?.Lifetime == ServiceLifetime.Singleton);
    }

    private static ServiceDescriptor? Last(IServiceCollection registrations, Type serviceType)
    {
        for (var i = registrations.Count - 1; i >= 0; i--)
        {
            if (registrations[i] is { IsKeyedService: false } descriptor && descriptor.ServiceType == serviceType)
            {
                return descriptor;
            }
        }

        return null;
    }

    /// <summary>Resolved from the run's scope (made by this resolution).</summary>
    private sealed class Scoped : IJobExecutor
    {
        public static readonly Scoped Instance = new();

        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
            => context.Services.GetRequiredService<TJob>().ExecuteAsync(context, cancellationToken);
    }

    /// <summary>A job type that needs no scope (<see cref="NeedsNoScope"/>), resolved from the root provider: no scope per run.</summary>
    private sealed class Root(IServiceProvider root) : IJobExecutor
    {
        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
            => root.GetRequiredService<TJob>().ExecuteAsync(context, cancellationToken);
    }
}
