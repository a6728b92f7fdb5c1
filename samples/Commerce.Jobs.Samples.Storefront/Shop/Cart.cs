using System.Collections.Concurrent;
using Commerce.Jobs.Adapters;

namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>
/// The storefront's database, simulated in memory: the order table (an <see cref="InMemoryRecordSource{T}"/>, so orders
/// are pending until the order-submit job reports them Submitted or ExportFailed), the catalog, categories and
/// inventory levels (versioned tables whose changes the storefront publishes for entity sync), shipments, and the
/// integration's cursors.
/// </summary>
public sealed class Cart
{
    private readonly ConcurrentQueue<string> _orderNumbers = new();
    private readonly ConcurrentDictionary<string, string> _trackingNumbers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Product> _products = new(StringComparer.Ordinal);
    private int _lastOrderNumber = 100_000;
    private long _skippedOutcomes;

    /// <summary>Initializes a new instance of the <see cref="Cart"/> class with the demo catalog.</summary>
    public Cart()
    {
        foreach (var product in DemoData.Products.Concat(DemoData.NewProducts))
        {
            _products[product.Sku] = product;
            Inventory.Upsert(new InventoryLevel(product.Sku, DemoData.OpeningStock));
        }

        foreach (var category in DemoData.Categories.Append(DemoData.SaleCategory))
        {
            Categories.Upsert(category);
        }
    }

    /// <summary>Gets the order table: the order-submit job reads pending orders from it and reports their status back.</summary>
    public InMemoryRecordSource<Order> Orders { get; } = new(o => o.Number, o => o.PlacedAt);

    /// <summary>Gets the categories; their changes are published as entity type <c>categories</c>.</summary>
    public EntityTable<Category> Categories { get; } = new("categories", c => c.Id);

    /// <summary>Gets the inventory levels; their changes are published as entity type <c>inventory</c>.</summary>
    public EntityTable<InventoryLevel> Inventory { get; } = new("inventory", l => l.Sku);

    /// <summary>Gets the catalog.</summary>
    public IReadOnlyDictionary<string, Product> Products => _products;

    /// <summary>Gets or sets the last WMS shipment sequence number applied (the shipping confirmations job's cursor).</summary>
    public long ShipmentCursor { get; set; }

    /// <summary>Gets or sets the last WMS inventory sequence number applied (the inventory download job's cursor).</summary>
    public long InventoryCursor { get; set; }

    /// <summary>Gets how many times the order-submit job reported an order skipped (still pending, tried again later).</summary>
    public long SkippedOutcomes => Interlocked.Read(ref _skippedOutcomes);

    /// <summary>Places an order: adds it to the order table as pending and reserves its stock.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="postalCode">The ship-to postal code.</param>
    /// <param name="lines">The lines.</param>
    /// <param name="placedAt">When.</param>
    /// <returns>The order, and the changes of the stock levels it reserved (to publish).</returns>
    public (Order Order, EntityChange[] StockChanges) PlaceOrder(string customerId, string postalCode, IReadOnlyList<OrderLine> lines, DateTimeOffset placedAt)
    {
        var order = new Order($"SO-{Interlocked.Increment(ref _lastOrderNumber)}", customerId, placedAt, postalCode, lines);
        EntityChange[] stockChanges =
        [
            .. lines.Select(line => Inventory.Update(line.Sku, level => new InventoryLevel(line.Sku, (level?.OnHand ?? 0) - line.Quantity))),
        ];

        Orders.Add(order);
        _orderNumbers.Enqueue(order.Number);
        return (order, stockChanges);
    }

    /// <summary>Records that the order-submit job skipped orders for this run.</summary>
    /// <param name="count">How many.</param>
    public void CountSkipped(int count) => Interlocked.Add(ref _skippedOutcomes, count);

    /// <summary>Changes a product's price (the PIM said so).</summary>
    /// <param name="sku">The product.</param>
    /// <param name="price">The new price.</param>
    public void SetPrice(string sku, decimal price) => _products.AddOrUpdate(sku, _ => throw new KeyNotFoundException(sku), (_, p) => p with { Price = price });

    /// <summary>Marks an order shipped.</summary>
    /// <param name="orderNumber">The order.</param>
    /// <param name="trackingNumber">The carrier's tracking number.</param>
    public void MarkShipped(string orderNumber, string trackingNumber) => _trackingNumbers[orderNumber] = trackingNumber;

    /// <summary>Counts the orders by status.</summary>
    /// <returns>The counts.</returns>
    public OrderCounts CountOrders()
    {
        int placed = 0, submitted = 0, pending = 0, failed = 0;
        foreach (var number in _orderNumbers)
        {
            placed++;
            switch (Orders.GetStatus(number).Status)
            {
                case RecordStatus.Delivered:
                    submitted++;
                    break;
                case RecordStatus.PermanentFailure:
                    failed++;
                    break;
                default:
                    pending++;
                    break;
            }
        }

        return new OrderCounts(placed, submitted, pending, failed, _trackingNumbers.Count);
    }
}
