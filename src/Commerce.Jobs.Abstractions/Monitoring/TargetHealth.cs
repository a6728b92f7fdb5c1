namespace Commerce.Jobs;

/// <summary>A snapshot of one delivery target's health.</summary>
public sealed class TargetHealth
{
    /// <summary>Gets the target's name (the name it was declared under; a target given to a job without a name has the job's name).</summary>
    public required string TargetName { get; init; }

    /// <summary>Gets whether deliveries flow.</summary>
    public required TargetHealthState State { get; init; }

    /// <summary>Gets when the target last became unhealthy, if it ever did.</summary>
    public DateTimeOffset? UnhealthySince { get; init; }

    /// <summary>Gets when deliveries resume (the end of the break), while unhealthy.</summary>
    public DateTimeOffset? PausedUntil { get; init; }

    /// <summary>Gets the last delivery error seen, if any.</summary>
    public string? LastError { get; init; }

    /// <summary>Gets the number of deliveries in progress now.</summary>
    public int DeliveriesInProgress { get; init; }
}
