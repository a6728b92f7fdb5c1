namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>The demo catalog and customers the storefront and the simulated ERP start with.</summary>
public static class DemoData
{
    /// <summary>Gets the opening stock of every product, in the storefront and in the WMS.</summary>
    public const int OpeningStock = 200;

    /// <summary>Gets the catalog's categories.</summary>
    public static IReadOnlyList<Category> Categories { get; } =
    [
        new("cat-bikes", "Bikes", 1),
        new("cat-helmets", "Helmets", 2),
        new("cat-lights", "Lights", 3),
        new("cat-locks", "Locks", 4),
        new("cat-tools", "Tools", 5),
        new("cat-tyres", "Tyres", 6),
        new("cat-apparel", "Apparel", 7),
        new("cat-bags", "Bags", 8),
    ];

    /// <summary>Gets a seasonal category without products, which the merchandiser deletes while reorganizing the catalog.</summary>
    public static Category SaleCategory { get; } = new("cat-summer-sale", "Summer sale", 9);

    /// <summary>Gets the products the ERP knows (its item master).</summary>
    public static IReadOnlyList<Product> Products { get; } =
        [.. Enumerable.Range(0, 40).Select(i => new Product($"SKU-{1001 + i}", $"Product {1001 + i}", Categories[i % Categories.Count].Id, 9.90m + (i * 5)))];

    /// <summary>Gets products already sold in the storefront but not yet in the ERP's item master: orders for them are rejected until the ERP imports them.</summary>
    public static IReadOnlyList<Product> NewProducts { get; } =
    [
        new("NEW-2001", "E-bike battery (new)", "cat-bikes", 499m),
        new("NEW-2002", "Smart helmet (new)", "cat-helmets", 189m),
    ];

    /// <summary>Gets the customer ids orders are placed for.</summary>
    public static IReadOnlyList<string> Customers { get; } = [.. Enumerable.Range(1, 50).Select(i => $"C-{i:000}")];
}
