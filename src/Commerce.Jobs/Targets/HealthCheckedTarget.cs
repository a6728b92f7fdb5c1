namespace Commerce.Jobs.Targets;

/// <summary>A target seen through its health monitor: concurrency-limited, and paused while unhealthy.</summary>
internal sealed class HealthCheckedTarget<T>(IDeliveryTarget<T> inner, TargetHealthMonitor health) : IDeliveryTarget<T>
{
    public TargetHealthMonitor Health => health;

    public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<T> batch, CancellationToken cancellationToken) => health.DeliverAsync(inner, batch, cancellationToken);
}
