namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>A stock level downloaded from the WMS: the record the inventory-upload job delivers to the cart's stock table.</summary>
/// <param name="Sku">The product.</param>
/// <param name="OnHand">The units the warehouse holds.</param>
/// <param name="Sequence">The WMS's change sequence number: within one download, a higher one is newer.</param>
/// <param name="DownloadedAt">When the inventory-download job read it: a later download is newer.</param>
public sealed record StockUpdate(string Sku, int OnHand, long Sequence, DateTimeOffset DownloadedAt) : IRecord
{
    /// <inheritdoc />
    /// <remarks>One record per change (an inbox appends): two changes of a product waiting at once are both kept, and the newer wins in the cart.</remarks>
    public string RecordId => $"{Sku}@{Sequence}";
}
