namespace Commerce.Jobs.Dashboard.HealthChecks;

/// <summary>When the Commerce.Jobs health check reports a failure.</summary>
public sealed class CommerceJobsHealthCheckOptions
{
    /// <summary>Gets or sets how many failed runs in a row make a job unhealthy (a disabled job never is).</summary>
    /// <value>The default value is 3; at least 1.</value>
    public int ConsecutiveFailures { get; set; } = 3;
}
