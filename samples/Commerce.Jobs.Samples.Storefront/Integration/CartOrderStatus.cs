using Commerce.Jobs.Samples.Storefront.Shop;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>
/// Moves each order's status in the cart after delivery: Submitted (delivered), ExportFailed (the ERP rejected it), or
/// left pending (skipped for this run; a later run tries it again).
/// </summary>
/// <remarks>
/// The job reads the orders from its inbox in the job store, so it can report on orders this run never placed: orders a
/// previous run offered and did not see delivered (it was stopped, or killed). The cart counts them apart, as resumed.
/// </remarks>
public sealed class CartOrderStatus(Cart cart, TimeProvider time, ILogger<CartOrderStatus> logger) : IRecordStatusSink<Order>
{
    /// <inheritdoc />
    public ValueTask ReportAsync(string jobName, ReadOnlyMemory<Order> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken)
    {
        var skipped = 0;
        string? skipReason = null;
        int resumed = 0, resumedSubmitted = 0, resumedFailed = 0;
        for (var i = 0; i < records.Length; i++)
        {
            var number = records.Span[i].Number;
            var outcome = outcomes.Span[i];
            var previous = cart.GetStatus(number);
            if (cart.IsFromPreviousRun(number))
            {
                resumed++;
                resumedSubmitted += outcome.Status == RecordStatus.Delivered ? 1 : 0;
                resumedFailed += outcome.Status == RecordStatus.PermanentFailure ? 1 : 0;
            }

            if (outcome.Status == RecordStatus.Delivered && previous == RecordStatus.PermanentFailure)
            {
                logger.LogInformation("Order {Order} marked Submitted (was ExportFailed)", number);
            }
            else if (outcome.Status == RecordStatus.PermanentFailure)
            {
                logger.LogWarning("Order {Order} marked ExportFailed: {Error}", number, outcome.Error);
            }
            else if (outcome.Status == RecordStatus.Skipped)
            {
                skipped++;
                skipReason ??= outcome.Error;
            }

            if (outcome.Status == RecordStatus.Delivered && previous != RecordStatus.Delivered)
            {
                cart.QueueForExport(records.Span[i], time.GetUtcNow());     // for the order-export job's next CSV file
            }

            cart.SetStatus(number, outcome.Status);
        }

        if (resumed > 0)
        {
            logger.LogInformation(
                "{Orders} placed by a previous run, resumed from the job store: {Submitted} submitted, {Failed} ExportFailed, {Pending} still pending",
                resumed == 1 ? "1 order" : $"{resumed} orders",
                resumedSubmitted,
                resumedFailed,
                resumed - resumedSubmitted - resumedFailed);
        }

        if (skipped > 0)
        {
            cart.CountSkipped(skipped);
            logger.LogInformation("{Orders} skipped for this run, still pending: {Error}", skipped == 1 ? "1 order" : $"{skipped} orders", skipReason);
        }

        return ValueTask.CompletedTask;
    }
}
