using Commerce.Jobs.Samples.Storefront.Shop;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>Downloads shipment confirmations from the WMS and marks the orders shipped in the cart.</summary>
/// <remarks>Keeps its place with a cursor (the last sequence applied); a failed run changes nothing and the next run catches up.</remarks>
public sealed class ShippingConfirmations(ErpClient erp, Cart cart) : IIntegrationJob
{
    /// <inheritdoc />
    public async ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        Erp.ErpShipment[] shipments;
        try
        {
            shipments = await erp.GetShipmentsAsync(cart.ShipmentCursor, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return JobResult.Failed($"WMS unavailable: {ex.Message}");
        }

        foreach (var shipment in shipments)
        {
            cart.MarkShipped(shipment.OrderNumber, shipment.TrackingNumber);
            cart.ShipmentCursor = shipment.Sequence;
        }

        context.Log(JobLogLevel.Information, $"{shipments.Length} shipment confirmations applied; cursor at {cart.ShipmentCursor}.");
        return JobResult.Create(JobOutcome.Succeeded, null, null, new RecordCounts(shipments.Length, shipments.Length, 0, 0));
    }
}
