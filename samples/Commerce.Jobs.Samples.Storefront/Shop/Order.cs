namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>An order placed in the storefront: the record the order-submit job sends to the ERP.</summary>
/// <remarks>Implements <see cref="IRecord"/>, so the job knows each order's stable id without a <c>WithKey</c>.</remarks>
public sealed record Order(string Number, string CustomerId, DateTimeOffset PlacedAt, string PostalCode, IReadOnlyList<OrderLine> Lines) : IRecord
{
    /// <inheritdoc />
    public string RecordId => Number;

    /// <summary>Gets the order total.</summary>
    public decimal Total => Lines.Sum(l => l.Quantity * l.UnitPrice);
}
