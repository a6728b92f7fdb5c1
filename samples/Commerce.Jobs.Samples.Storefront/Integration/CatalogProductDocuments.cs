using System.Runtime.CompilerServices;
using Commerce.Jobs.Samples.Storefront.Shop;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>
/// The search service's product documents, built from the catalog, categories and stock: the rebuild-search-index job's
/// source (<c>ReadFrom(...)</c>). Every run reads the whole catalog; the job delivers it to the search ingestion target.
/// </summary>
/// <param name="cart">The storefront.</param>
public sealed class CatalogProductDocuments(Cart cart) : IRecordSource<ProductDocument>
{
    /// <inheritdoc />
    public async IAsyncEnumerable<ProductDocument> ReadAsync(RecordQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var categories = cart.Categories.Current.ToDictionary(c => c.Id, c => c.Name, StringComparer.Ordinal);
        foreach (var p in cart.Products.Values)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ProductDocument(
                p.Sku,
                p.Name,
                categories.GetValueOrDefault(p.CategoryId, p.CategoryId),
                p.Price,
                cart.Inventory.Find(p.Sku)?.OnHand > 0);
        }

        await Task.CompletedTask;
    }
}
