using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Commerce.Jobs.Dashboard.HealthChecks;

/// <summary>
/// Unhealthy when a delivery target's circuit is open or a job failed <see cref="CommerceJobsHealthCheckOptions.ConsecutiveFailures"/>
/// times in a row; degraded while a target is being probed after a break; healthy otherwise.
/// </summary>
internal sealed class CommerceJobsHealthCheck(IJobMonitor monitor, CommerceJobsHealthCheckOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var targets = monitor.GetTargetHealth();
        var jobs = monitor.GetStatuses();
        var unhealthy = targets.Where(t => t.State == TargetHealthState.Unhealthy).ToList();
        var probing = targets.Where(t => t.State == TargetHealthState.Probing).ToList();
        var failing = jobs.Where(j => j.ConsecutiveFailures >= options.ConsecutiveFailures && j.State != JobState.Disabled).ToList();

        var problems = new List<string>();
        problems.AddRange(unhealthy.Select(t => $"target '{t.TargetName}' is unhealthy (deliveries paused{(t.PausedUntil is { } until ? $" until {until:u}" : string.Empty)}): {t.LastError}"));
        problems.AddRange(failing.Select(j => $"job '{j.JobName}' failed {j.ConsecutiveFailures} times in a row: {j.LastRun?.Error}"));
        var data = new Dictionary<string, object>
        {
            ["jobs"] = jobs.Count,
            ["targets"] = targets.Count,
            ["unhealthyTargets"] = unhealthy.Select(t => t.TargetName).ToArray(),
            ["probingTargets"] = probing.Select(t => t.TargetName).ToArray(),
            ["failingJobs"] = failing.Select(j => j.JobName).ToArray(),
        };

        if (problems.Count > 0)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, string.Join("; ", problems), data: data));
        }

        return Task.FromResult(probing.Count > 0
            ? HealthCheckResult.Degraded($"probing {string.Join(", ", probing.Select(t => $"'{t.TargetName}'"))} after a break", data: data)
            : HealthCheckResult.Healthy($"{jobs.Count} jobs, {targets.Count} targets healthy", data));
    }
}
