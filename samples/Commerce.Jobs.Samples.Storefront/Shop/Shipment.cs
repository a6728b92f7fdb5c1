namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>A shipment the WMS confirmed: the record the shipment-upload job delivers to the cart.</summary>
/// <param name="OrderNumber">The order shipped (also the record id: an order ships once).</param>
/// <param name="TrackingNumber">The carrier's tracking number.</param>
/// <param name="ShippedAt">When the warehouse shipped it.</param>
public sealed record Shipment(string OrderNumber, string TrackingNumber, DateTimeOffset ShippedAt) : IRecord
{
    /// <inheritdoc />
    public string RecordId => OrderNumber;
}
