using Commerce.Jobs.Samples.Storefront.Shop;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>
/// Moves each order's status in the cart after delivery: Submitted (delivered), ExportFailed (the ERP rejected it), or
/// left pending (skipped for this run; a later run tries it again).
/// </summary>
public sealed class CartOrderStatus(Cart cart, ILogger<CartOrderStatus> logger) : IRecordStatusSink<Order>
{
    /// <inheritdoc />
    public async ValueTask ReportAsync(string jobName, ReadOnlyMemory<Order> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken)
    {
        var skipped = 0;
        string? skipReason = null;
        for (var i = 0; i < records.Length; i++)
        {
            var outcome = outcomes.Span[i];
            if (outcome.Status == RecordStatus.Delivered && cart.Orders.GetStatus(records.Span[i].Number).Status == RecordStatus.PermanentFailure)
            {
                logger.LogInformation("Order {Order} marked Submitted (was ExportFailed)", records.Span[i].Number);
            }
            else if (outcome.Status == RecordStatus.PermanentFailure)
            {
                logger.LogWarning("Order {Order} marked ExportFailed: {Error}", records.Span[i].Number, outcome.Error);
            }
            else if (outcome.Status == RecordStatus.Skipped)
            {
                skipped++;
                skipReason ??= outcome.Error;
            }
        }

        await cart.Orders.ReportAsync(jobName, records, outcomes, cancellationToken);
        if (skipped > 0)
        {
            cart.CountSkipped(skipped);
            logger.LogInformation("{Orders} skipped for this run, still pending: {Error}", skipped == 1 ? "1 order" : $"{skipped} orders", skipReason);
        }
    }
}
