namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>The cart's orders by status.</summary>
/// <param name="Placed">Orders placed.</param>
/// <param name="Submitted">Orders the ERP accepted.</param>
/// <param name="Pending">Orders not submitted yet (new, or skipped after their retries).</param>
/// <param name="Failed">Orders the ERP rejected as invalid (ExportFailed).</param>
/// <param name="Shipped">Orders the WMS confirmed as shipped.</param>
public readonly record struct OrderCounts(int Placed, int Submitted, int Pending, int Failed, int Shipped)
{
    /// <inheritdoc />
    public override string ToString() => $"orders placed {Placed}, submitted {Submitted}, pending {Pending}, failed (invalid) {Failed}, shipped {Shipped}";
}
