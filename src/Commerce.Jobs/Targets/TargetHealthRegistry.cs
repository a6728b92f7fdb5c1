using System.Collections.Concurrent;
using Commerce.Jobs.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Targets;

/// <summary>Every target's health monitor, created on first delivery and shared by all jobs; tells the notifiers once when one breaks.</summary>
internal sealed class TargetHealthRegistry(
    IOptionsMonitor<TargetOptions> options,
    IOptions<CommerceJobsOptions> engineOptions,
    IEnumerable<IJobFailureNotifier> notifiers,
    TimeProvider time,
    ILogger<TargetHealthRegistry> logger) : IDisposable
{
    private readonly ConcurrentDictionary<string, TargetHealthMonitor> _monitors = new(StringComparer.OrdinalIgnoreCase);
    private readonly IJobFailureNotifier[] _notifiers = [.. notifiers];

    public TargetHealthMonitor Get(string targetName) => _monitors.GetOrAdd(targetName, name => new TargetHealthMonitor(name, options.Get(name), time, NotifyAsync));

    public IReadOnlyList<TargetHealth> Snapshot() => [.. _monitors.Values.Select(m => m.Snapshot()).OrderBy(h => h.TargetName, StringComparer.OrdinalIgnoreCase)];

    public void Dispose()
    {
        foreach (var monitor in _monitors.Values)
        {
            monitor.Dispose();
        }
    }

    private async ValueTask NotifyAsync(TargetHealth health)
    {
        Log.TargetUnhealthy(logger, health.TargetName, health.PausedUntil, health.LastError);
        foreach (var notifier in _notifiers)
        {
            try
            {
                await notifier.NotifyTargetUnhealthyAsync(health, engineOptions.Value.HostName, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.NotifierFailed(logger, notifier.GetType().Name, health.TargetName, Guid.Empty, ex);
            }
        }
    }
}
