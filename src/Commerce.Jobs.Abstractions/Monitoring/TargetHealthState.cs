namespace Commerce.Jobs;

/// <summary>Whether deliveries to a target are flowing.</summary>
public enum TargetHealthState
{
    /// <summary>Deliveries flow.</summary>
    Healthy,

    /// <summary>The target kept failing: deliveries are paused for a break period.</summary>
    Unhealthy,

    /// <summary>The break is over and one delivery is probing whether the target recovered.</summary>
    Probing,
}
