namespace Commerce.Jobs.Samples.Storefront.Search;

/// <summary>What the search service holds for one entity.</summary>
/// <param name="Document">The entity's state, or <see langword="null"/> when deleted.</param>
/// <param name="Version">The version indexed.</param>
/// <param name="Deleted">Whether the entity was deleted.</param>
public sealed record SearchEntry(object? Document, long Version, bool Deleted);
