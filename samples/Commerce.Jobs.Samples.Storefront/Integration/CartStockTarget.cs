using Commerce.Jobs.Samples.Storefront.Shop;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>
/// Delivers WMS stock levels to the cart's stock table (the inventory-upload job's target), and publishes the levels it
/// changed for entity sync, which delivers them to search.
/// </summary>
/// <remarks>
/// A level older than the one the cart last took from the WMS (a record retried after a newer one went through) is
/// settled without a write: the newest level wins.
/// </remarks>
public sealed class CartStockTarget(Cart cart, IEntitySync entitySync) : IDeliveryTarget<StockUpdate>
{
    /// <inheritdoc />
    public async ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<StockUpdate> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var changes = new List<EntityChange>();
        for (var i = 0; i < batch.Count; i++)
        {
            if (cart.ApplyStock(batch.Records.Span[i]) is { } change)
            {
                changes.Add(change);
            }
        }

        // One publish for the batch, not cancelled once the cart has changed: held by the job store from here on.
        await entitySync.PublishAsync(changes, CancellationToken.None);
        return DeliveryResult.Delivered;
    }
}
