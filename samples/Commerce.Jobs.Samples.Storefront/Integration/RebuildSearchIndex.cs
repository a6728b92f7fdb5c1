using Commerce.Jobs.Samples.Storefront.Search;
using Commerce.Jobs.Samples.Storefront.Shop;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>Rebuilds the search service's product documents from the catalog, categories and stock; runs after every successful product refresh.</summary>
/// <param name="search">The search service (simulated).</param>
/// <param name="cart">The storefront.</param>
public sealed class RebuildSearchIndex(FakeSearch search, Cart cart) : IIntegrationJob
{
    /// <inheritdoc />
    public async ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var categories = cart.Categories.Current.ToDictionary(c => c.Id, c => c.Name, StringComparer.Ordinal);
        ProductDocument[] documents =
        [
            .. cart.Products.Values.Select(p => new ProductDocument(
                p.Sku,
                p.Name,
                categories.GetValueOrDefault(p.CategoryId, p.CategoryId),
                p.Price,
                cart.Inventory.Find(p.Sku)?.OnHand > 0)),
        ];

        var result = await search.DeliverAsync(new DeliveryBatch<ProductDocument>(context.JobName, documents, d => d.Sku, attempt: 0), cancellationToken);
        if (result.BatchStatus is RecordStatus.TransientFailure or RecordStatus.PermanentFailure)
        {
            return JobResult.Failed($"The search service refused the documents: {result.Error}");
        }

        context.Log(JobLogLevel.Information, $"{documents.Length} product documents indexed.");
        return JobResult.Create(JobOutcome.Succeeded, null, null, new RecordCounts(documents.Length, documents.Length, 0, 0));
    }
}
