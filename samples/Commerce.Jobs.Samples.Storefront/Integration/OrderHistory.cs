namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>
/// Real-time order history: fetches a customer's orders from the ERP while the customer waits on the order-history
/// page. Run on demand with <see cref="IJobRunner.RunAsync"/>; its result's <see cref="JobResult.Value"/> is the orders.
/// </summary>
public sealed class OrderHistory(ErpClient erp) : IIntegrationJob
{
    /// <inheritdoc />
    public async ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var query = context.GetParameters<OrderHistoryQuery>();
        try
        {
            var orders = await erp.GetOrderHistoryAsync(query.CustomerId, cancellationToken);
            return JobResult.Succeeded(orders);
        }
        catch (HttpRequestException ex)
        {
            return JobResult.Failed($"ERP unavailable: {ex.Message}");
        }
    }
}
