namespace Commerce.Jobs;

/// <summary>
/// The concurrency limit and health rules of one delivery target, bound from <c>CommerceJobs:Targets:{target name}</c>.
/// A target whose deliveries succeed less than <c>1 - FailureRatio</c> of the time over <see cref="SamplingDuration"/>
/// (with at least <see cref="MinimumThroughput"/> deliveries) is marked unhealthy and not called for <see cref="BreakDuration"/>.
/// </summary>
public sealed class TargetOptions
{
    /// <summary>Gets or sets the most deliveries to the target in progress at once, across all jobs (1 to 1000).</summary>
    /// <value>The default value is 4.</value>
    public int MaxConcurrency { get; set; } = 4;

    /// <summary>Gets or sets the share of failed deliveries that makes the target unhealthy (0.01 to 1).</summary>
    /// <value>The default value is 0.1 (unhealthy under 90 % success).</value>
    public double FailureRatio { get; set; } = 0.1;

    /// <summary>Gets or sets the window the failure ratio is measured over (at least 0.5 seconds).</summary>
    /// <value>The default value is 2 minutes.</value>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Gets or sets the fewest deliveries in the window before the ratio counts (at least 2).</summary>
    /// <value>The default value is 10.</value>
    public int MinimumThroughput { get; set; } = 10;

    /// <summary>Gets or sets how long deliveries pause once the target is unhealthy (at least 0.5 seconds).</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}
