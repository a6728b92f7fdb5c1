namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>A catalog category; merchandisers edit them all day, and the search service must follow.</summary>
public sealed record Category(string Id, string Name, int SortOrder);
