namespace Commerce.Jobs;

/// <summary>
/// The names of the delivery-target health settings that can change at run time (<see cref="IJobDefinitions.GetTarget"/>):
/// their configuration keys under <c>CommerceJobs:Targets:{target name}</c>.
/// </summary>
public static class TargetDefinitionFields
{
    /// <summary>The share of failed deliveries that makes the target unhealthy (0.01 to 1, written with a '.': <c>0.25</c>).</summary>
    public const string FailureRatio = "FailureRatio";

    /// <summary>The window the failure ratio is measured over (at least <c>00:00:00.5</c>).</summary>
    public const string SamplingDuration = "SamplingDuration";

    /// <summary>The fewest deliveries in the window before the ratio counts (at least 2).</summary>
    public const string MinimumThroughput = "MinimumThroughput";

    /// <summary>How long deliveries pause once the target is unhealthy (at least <c>00:00:00.5</c>).</summary>
    public const string BreakDuration = "BreakDuration";

    /// <summary>Gets every field, in the order a target's definition lists them.</summary>
    public static IReadOnlyList<string> All { get; } = [FailureRatio, SamplingDuration, MinimumThroughput, BreakDuration];
}
