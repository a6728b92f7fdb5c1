namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>
/// An order the ERP accepted, as the order-export job writes it for the reporting system: one flat row of a CSV file
/// (the file export target writes a header of these properties, in this order).
/// </summary>
/// <param name="Number">The order number (the record id: <c>WithKey(o => o.Number)</c>, so the file holds no extra column).</param>
/// <param name="CustomerId">The customer.</param>
/// <param name="PlacedAt">When the customer placed it.</param>
/// <param name="SubmittedAt">When the ERP accepted it.</param>
/// <param name="Lines">How many lines it has.</param>
/// <param name="Units">How many units in all.</param>
/// <param name="Total">The order total.</param>
public sealed record SubmittedOrder(string Number, string CustomerId, DateTimeOffset PlacedAt, DateTimeOffset SubmittedAt, int Lines, int Units, decimal Total);
