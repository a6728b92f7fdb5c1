namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>The record the record benchmarks move: a small order, built before measuring.</summary>
public sealed class Order(string id, decimal total)
{
    public string Id { get; } = id;

    public decimal Total { get; } = total;

    public static Order[] Create(int count)
    {
        var orders = new Order[count];
        for (var i = 0; i < orders.Length; i++)
        {
            orders[i] = new Order($"order-{i:D7}", i % 1000);
        }

        return orders;
    }
}
