using Commerce.Jobs.Samples.Storefront.Shop;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>
/// Downloads shipment confirmations from the WMS and offers them to the shipment-upload job's inbox, which delivers them
/// to the cart (<see cref="CartShipmentTarget"/>: the orders are marked shipped).
/// </summary>
/// <remarks>
/// Keeps its place with a cursor (the last sequence offered), moved only once the inbox has stored the shipments: a failed
/// run changes nothing and the next run catches up; a stored shipment waits in the job store until the cart took it.
/// </remarks>
public sealed class ShippingConfirmations(ErpClient erp, Cart cart, IRecordInbox inbox) : IIntegrationJob
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

        if (shipments.Length > 0)
        {
            // Not cancelled: once read, the shipments are stored for shipment-upload before the cursor moves.
            await inbox.OfferAsync("shipment-upload", shipments.Select(s => new Shipment(s.OrderNumber, s.TrackingNumber, s.ShippedAt)), CancellationToken.None);
            cart.ShipmentCursor = shipments[^1].Sequence;
        }

        context.Log(JobLogLevel.Information, $"{shipments.Length} shipment confirmations offered to shipment-upload; cursor at {cart.ShipmentCursor}.");
        return JobResult.Create(JobOutcome.Succeeded, null, null, new RecordCounts(shipments.Length, shipments.Length, 0, 0));
    }
}
