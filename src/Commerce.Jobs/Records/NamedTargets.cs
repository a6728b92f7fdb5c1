using System.Collections.Concurrent;
using Commerce.Jobs.Runners;

namespace Commerce.Jobs.Records;

/// <summary>Creates each named delivery target once and shares it among every job that delivers to it.</summary>
internal sealed class NamedTargets(JobRegistry registry, IServiceProvider services)
{
    private readonly ConcurrentDictionary<string, IDeliveryTarget> _targets = new(StringComparer.OrdinalIgnoreCase);

    public IDeliveryTarget Get(string name) => _targets.GetOrAdd(name, static (n, s) =>
    {
        var (registry, services) = s;
        return registry.Targets.TryGetValue(n, out var factory)
            ? factory(services)
            : throw new InvalidOperationException($"No delivery target named '{n}' is registered.");
    }, (registry, services));
}
