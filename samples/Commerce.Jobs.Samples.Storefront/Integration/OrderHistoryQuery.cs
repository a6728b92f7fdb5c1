namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>The parameters of the order-history job: whose orders to show.</summary>
public sealed record OrderHistoryQuery(string CustomerId);
