namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>How many units of a product the storefront can still sell.</summary>
public sealed record InventoryLevel(string Sku, int OnHand);
