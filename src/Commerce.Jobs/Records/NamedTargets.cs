using System.Collections.Concurrent;
using Commerce.Jobs.Runners;

namespace Commerce.Jobs.Records;

/// <summary>Creates each named delivery target once, shares it among every job that delivers to it, and disposes it with the host.</summary>
internal sealed class NamedTargets(JobRegistry registry, IServiceProvider services) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, IDeliveryTarget> _targets = new(StringComparer.OrdinalIgnoreCase);

    public IDeliveryTarget Get(string name) => _targets.GetOrAdd(name, static (n, s) =>
    {
        var (registry, services) = s;
        return registry.Targets.TryGetValue(n, out var factory)
            ? factory(services)
            : throw new InvalidOperationException($"No delivery target named '{n}' is registered.");
    }, (registry, services));

    public async ValueTask DisposeAsync()
    {
        foreach (var target in _targets.Values)
        {
            switch (target)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }

        _targets.Clear();
    }
}
