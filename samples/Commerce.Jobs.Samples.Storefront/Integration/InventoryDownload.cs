using Commerce.Jobs.Samples.Storefront.Shop;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>Downloads changed stock levels from the WMS (the master of stock) into the cart.</summary>
/// <remarks>Keeps its place with a cursor; the levels it changes are then pushed to search by the inventory-sync job, which runs after it.</remarks>
public sealed class InventoryDownload(ErpClient erp, Cart cart) : IIntegrationJob
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

        var changed = 0;
        foreach (var level in levels)
        {
            if (cart.Inventory.Find(level.ItemNumber)?.OnHand != level.OnHand)
            {
                cart.Inventory.Publish(new InventoryLevel(level.ItemNumber, level.OnHand));
                changed++;
            }

            cart.InventoryCursor = level.Sequence;
        }

        context.Log(JobLogLevel.Information, $"{levels.Length} stock levels read, {changed} changed in the cart.");
        return JobResult.Create(JobOutcome.Succeeded, null, null, new RecordCounts(levels.Length, changed, 0, 0));
    }
}
