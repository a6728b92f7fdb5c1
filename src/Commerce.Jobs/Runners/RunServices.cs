using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Runners;

/// <summary>
/// A run's services (<see cref="JobContext.Services"/>): the run's own DI scope, made on the first service resolved
/// from it, so that a run that resolves nothing (a delegate job that does not use them, a job type registered as a
/// singleton) makes no scope. Disposed by the engine when the run ends, with the scope if one was made; a service
/// resolved after that throws <see cref="ObjectDisposedException"/>. Safe from several threads: one scope per run.
/// </summary>
internal sealed class RunServices(IServiceScopeFactory scopes) : IKeyedServiceProvider, ISupportRequiredService, IAsyncDisposable
{
    private static readonly IServiceScope Disposed = new DisposedScope();
    private IServiceScope? _scope;

    /// <summary>Gets a value indicating whether the run's scope was made.</summary>
    public bool HasScope => Volatile.Read(ref _scope) is { } scope && scope != Disposed;

    private IServiceProvider Provider
    {
        get
        {
            var scope = Volatile.Read(ref _scope);
            if (scope is null)
            {
                var created = scopes.CreateScope();
                scope = Interlocked.CompareExchange(ref _scope, created, null) ?? created;
                if (scope != created)
                {
                    created.Dispose();
                }
            }

            ObjectDisposedException.ThrowIf(scope == Disposed, this);
            return scope.ServiceProvider;
        }
    }

    public object? GetService(Type serviceType) => Provider.GetService(serviceType);

    public object GetRequiredService(Type serviceType) => Provider.GetRequiredService(serviceType);

    public object? GetKeyedService(Type serviceType, object? serviceKey) => Keyed.GetKeyedService(serviceType, serviceKey);

    public object GetRequiredKeyedService(Type serviceType, object? serviceKey) => Keyed.GetRequiredKeyedService(serviceType, serviceKey);

    /// <summary>Disposes the run's scope if one was made; later resolutions throw.</summary>
    public ValueTask DisposeAsync()
    {
        var scope = Interlocked.Exchange(ref _scope, Disposed);
        switch (scope)
        {
            case null:
            case DisposedScope:
                return ValueTask.CompletedTask;
            case IAsyncDisposable asyncDisposable:
                return asyncDisposable.DisposeAsync();
            default:
                scope.Dispose();
                return ValueTask.CompletedTask;
        }
    }

    private IKeyedServiceProvider Keyed => Provider as IKeyedServiceProvider
        ?? throw new InvalidOperationException("The service provider does not support keyed services.");

    private sealed class DisposedScope : IServiceScope
    {
        public IServiceProvider ServiceProvider => throw new ObjectDisposedException(nameof(RunServices));

        public void Dispose()
        {
        }
    }
}
