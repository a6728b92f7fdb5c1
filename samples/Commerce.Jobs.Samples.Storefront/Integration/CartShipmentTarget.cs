using Commerce.Jobs.Samples.Storefront.Shop;
using Commerce.Jobs.Samples.Storefront.Simulation;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>
/// Delivers shipment confirmations to the cart (the shipment-upload job's target): marks each order shipped with its
/// tracking number. Marking an order shipped twice changes nothing, so a retried batch is harmless.
/// </summary>
/// <remarks>
/// The cart's database has a bad moment now and then (a deadlock victim, at the sample's failure rate, first attempts
/// only): the batch fails transiently and the job retries it within its window.
/// </remarks>
public sealed class CartShipmentTarget(Cart cart, SampleOptions options, ILogger<CartShipmentTarget> logger) : IDeliveryTarget<Shipment>
{
    /// <inheritdoc />
    public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Shipment> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Attempt == 0 && Random.Shared.NextDouble() < options.FailureRate)
        {
            logger.LogInformation("Marking {Count} shipped, attempt 1: the cart database chose this transaction as a deadlock victim; retried", Shipments(batch.Count));
            return ValueTask.FromResult(DeliveryResult.TransientFailure("cart database: deadlock victim", TimeSpan.FromMilliseconds(200)));
        }

        foreach (var shipment in batch.Records.Span)
        {
            cart.MarkShipped(shipment.OrderNumber, shipment.TrackingNumber);
        }

        if (batch.Attempt > 0)
        {
            logger.LogInformation("Marked {Count} shipped on retry {Attempt}", Shipments(batch.Count), batch.Attempt);
        }

        return ValueTask.FromResult(DeliveryResult.Delivered);
    }

    private static string Shipments(int count) => count == 1 ? "1 order" : $"{count} orders";
}
