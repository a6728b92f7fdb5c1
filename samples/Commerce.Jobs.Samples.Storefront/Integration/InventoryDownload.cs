using Commerce.Jobs.Samples.Storefront.Shop;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>Downloads changed stock levels from the WMS (the master of stock) into the cart.</summary>
/// <remarks>Keeps its place with a cursor; the levels it changes are published for entity sync, which delivers them to search.</remarks>
public sealed class InventoryDownload(ErpClient erp, Cart cart, IEntitySync entitySync) : IIntegrationJob
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

        var changes = new List<EntityChange>();
        foreach (var level in levels)
        {
            if (cart.Inventory.Find(level.ItemNumber)?.OnHand != level.OnHand)
            {
                changes.Add(cart.Inventory.Upsert(new InventoryLevel(level.ItemNumber, level.OnHand)));
            }

            cart.InventoryCursor = level.Sequence;
        }

        // One publish for all of them, not cancelled once the cart has changed: held by the job store from here on,
        // delivered to search by entity sync.
        await entitySync.PublishAsync(changes, CancellationToken.None);
        context.Log(JobLogLevel.Information, $"{levels.Length} stock levels read, {changes.Count} changed in the cart.");
        return JobResult.Create(JobOutcome.Succeeded, null, null, new RecordCounts(levels.Length, changes.Count, 0, 0));
    }
}
