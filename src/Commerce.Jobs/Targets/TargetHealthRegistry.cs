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

    private readonly ConcurrentDictionary<string, TargetOptions> _defined = new(StringComparer.OrdinalIgnoreCase);

    public TargetHealthMonitor Get(string targetName)
    {
        var monitor = _monitors.GetOrAdd(targetName, name => new TargetHealthMonitor(name, _defined.GetValueOrDefault(name) ?? options.Get(name), time, NotifyAsync));

        // A definition put in force while this monitor was being made (Reconfigure did not find it yet) is taken up here.
        if (_defined.TryGetValue(targetName, out var defined))
        {
            monitor.Reconfigure(defined);
        }

        return monitor;
    }

    /// <summary>Puts a target's run-time definition (<see cref="IJobDefinitions.UpdateTargetAsync"/>) in force: in its monitor now, or when it is made.</summary>
    public void Reconfigure(string targetName, TargetOptions defined)
    {
        _defined[targetName] = defined;
        if (_monitors.TryGetValue(targetName, out var monitor))
        {
            monitor.Reconfigure(defined);
        }
    }

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
