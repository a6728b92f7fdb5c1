namespace Commerce.Jobs.Adapters.Tests.TestSupport;

public sealed record Order(string Id, string Customer, decimal Total);

public sealed record Shipment(string Id, string Carrier, DateTimeOffset ShippedAt);

/// <summary>System.Text.Json does not serialize <see cref="System.Type"/>.</summary>
public sealed record Unserializable(string Id, Type Kind);

public static class Batches
{
    public const string Job = "order-submit";

    public static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);

    public static Order[] Orders(int count, string prefix = "10") =>
        Enumerable.Range(1, count).Select(i => new Order($"{prefix}{i:00}", $"Customer {i}", 10.5m * i)).ToArray();

    public static Shipment[] Shipments(int count) =>
        Enumerable.Range(1, count).Select(i => new Shipment($"S-{i}", "DHL", Start.AddHours(i))).ToArray();

    public static DeliveryBatch<Order> Of(params Order[] orders) => Of(0, orders);

    public static DeliveryBatch<Order> Of(int attempt, params Order[] orders) => new(Job, orders, o => o.Id, attempt);

    public static DeliveryBatch<Shipment> Of(params Shipment[] shipments) => new(Job, shipments, s => s.Id, 0);

    public static string IdOf(object? record) => record switch
    {
        Order o => o.Id,
        Shipment s => s.Id,
        _ => throw new ArgumentException($"Not a test record: {record}"),
    };
}
