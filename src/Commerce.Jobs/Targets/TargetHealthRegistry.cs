using System.Collections.Concurrent;
using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.History;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Targets;

/// <summary>Every target's health monitor, created on first delivery and shared by all jobs; tells the notifiers (through their queue, never on the delivery path) once when one breaks.</summary>
internal sealed class TargetHealthRegistry(
    IOptionsMonitor<TargetOptions> options,
    NotificationQueue notifications,
    TimeProvider time,
    ILogger<TargetHealthRegistry> logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, TargetHealthMonitor> _monitors = new(StringComparer.OrdinalIgnoreCase);

    public TargetHealthMonitor Get(string targetName) => _monitors.GetOrAdd(targetName, name => new TargetHealthMonitor(name, options.Get(name), time, NotifyAsync));

    public IReadOnlyList<TargetHealth> Snapshot() => [.. _monitors.Values.Select(m => m.Snapshot()).OrderBy(h => h.TargetName, StringComparer.OrdinalIgnoreCase)];

    public void Dispose()
    {
        foreach (var monitor in _monitors.Values)
        {
            monitor.Dispose();
        }
    }

    private ValueTask NotifyAsync(TargetHealth health)
    {
        Log.TargetUnhealthy(logger, health.TargetName, health.PausedUntil, health.LastError);
        notifications.PostTargetUnhealthy(health);
        return ValueTask.CompletedTask;
    }
}
