using Commerce.Jobs.Samples.Storefront.Shop;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>Refreshes the catalog from the product information system (simulated: a few prices change each time).</summary>
public sealed class ProductRefresh(Cart cart) : IIntegrationJob
{
    /// <inheritdoc />
    public async ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Reading the PIM's product feed takes a moment.
        await Task.Delay(TimeSpan.FromMilliseconds(200), context.TimeProvider, cancellationToken);
        var products = cart.Products.Values.ToArray();
        var changed = products.OrderBy(_ => Random.Shared.Next()).Take(3).ToArray();
        foreach (var product in changed)
        {
            cart.SetPrice(product.Sku, decimal.Round(product.Price * 1.05m, 2));
        }

        context.Log(JobLogLevel.Information, $"{products.Length} products read, {changed.Length} prices changed.");
        return JobResult.Create(JobOutcome.Succeeded, null, null, new RecordCounts(products.Length, changed.Length, 0, 0));
    }
}
