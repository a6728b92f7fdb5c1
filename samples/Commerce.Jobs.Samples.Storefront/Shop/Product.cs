namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>A product of the storefront's catalog.</summary>
public sealed record Product(string Sku, string Name, string CategoryId, decimal Price);
