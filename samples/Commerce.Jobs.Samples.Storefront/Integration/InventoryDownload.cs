using Commerce.Jobs.Samples.Storefront.Shop;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>
/// Downloads changed stock levels from the WMS (the master of stock) and offers them to the inventory-upload job's inbox,
/// which delivers them to the cart's stock table (<see cref="CartStockTarget"/>, which publishes what changed for entity sync).
/// </summary>
/// <remarks>Keeps its place with a cursor, moved only once the inbox has stored the levels.</remarks>
public sealed class InventoryDownload(ErpClient erp, Cart cart, IRecordInbox inbox, TimeProvider time) : IIntegrationJob
{
    /// <inheritdoc />
    public async ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        Erp.ErpStockLevel[] levels;
        try
        {
            levels = await erp.GetStockChangesAsync(cart.InventoryCursor, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return JobResult.Failed($"WMS unavailable: {ex.Message}");
        }

        if (levels.Length > 0)
        {
            var downloadedAt = time.GetUtcNow();
            await inbox.OfferAsync("inventory-upload", levels.Select(l => new StockUpdate(l.ItemNumber, l.OnHand, l.Sequence, downloadedAt)), CancellationToken.None);
            cart.InventoryCursor = levels[^1].Sequence;
        }

        context.Log(JobLogLevel.Information, $"{levels.Length} stock levels offered to inventory-upload; cursor at {cart.InventoryCursor}.");
        return JobResult.Create(JobOutcome.Succeeded, null, null, new RecordCounts(levels.Length, levels.Length, 0, 0));
    }
}
