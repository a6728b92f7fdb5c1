using Commerce.Jobs;
using Commerce.Jobs.Dashboard.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the Commerce.Jobs health check.</summary>
public static class CommerceJobsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check that reports <paramref name="failureStatus"/> (by default unhealthy) when a delivery target's
    /// circuit is open or a job has failed several times in a row, and degraded while a target is probed after a break.
    /// </summary>
    /// <param name="builder">The health checks builder from <c>services.AddHealthChecks()</c>.</param>
    /// <param name="configure">Sets how many failures in a row count; optional.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status reported on failure; <see langword="null"/> for unhealthy.</param>
    /// <param name="tags">Tags for filtering checks (for example <c>ready</c>).</param>
    /// <returns>The builder.</returns>
    /// <example><code>builder.Services.AddHealthChecks().AddCommerceJobs(o => o.ConsecutiveFailures = 3);
    /// app.MapHealthChecks("/healthz");</code></example>
    public static IHealthChecksBuilder AddCommerceJobs(
        this IHealthChecksBuilder builder,
        Action<CommerceJobsHealthCheckOptions>? configure = null,
        string name = "commerce-jobs",
        HealthStatus? failureStatus = null,
        IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var options = new CommerceJobsHealthCheckOptions();
        configure?.Invoke(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ConsecutiveFailures, 1, nameof(options.ConsecutiveFailures));
        return builder.Add(new HealthCheckRegistration(
            name,
            services => new CommerceJobsHealthCheck(services.GetRequiredService<IJobMonitor>(), options),
            failureStatus,
            tags));
    }
}
