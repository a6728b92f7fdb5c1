namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>A product as the search service indexes it.</summary>
public sealed record ProductDocument(string Sku, string Name, string Category, decimal Price, bool InStock);
