using System.Collections.Concurrent;

namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>
/// The storefront's database, simulated in memory: the orders and the status the order-submit job reported for each
/// (Submitted, ExportFailed, or still pending), the catalog, categories and inventory levels (versioned tables whose
/// changes the storefront publishes for entity sync), shipments, and the integration's cursors.
/// </summary>
/// <remarks>
/// The orders themselves wait in the order-submit job's inbox in the job store, not here: with the SQLite store they
/// outlive this process. So the job may report on orders a previous run placed (and a hard kill kept from being
/// delivered); the cart counts those apart, as resumed from a previous run, and never as placed by this one.
/// </remarks>
/// <param name="runTag">
/// Tells this run's order numbers apart from earlier runs' (<c>SO-1123-152301-0007</c>: the 7th order of the run started
/// on 23 November at 15:23:01). The simulated cart starts afresh each run, while the job store may still hold orders of
/// earlier runs, and an order number is also the record id and the idempotency key. A real storefront's database keeps
/// its own sequence.
/// </param>
public sealed class Cart(string runTag)
{
    private readonly ConcurrentDictionary<string, bool> _createdHere = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _placed = new();
    private readonly ConcurrentDictionary<string, RecordStatus> _statuses = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _trackingNumbers = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<SubmittedOrder> _toExport = new();
    private readonly Dictionary<string, (DateTimeOffset DownloadedAt, long Sequence)> _stockFromWms = new(StringComparer.Ordinal);
    private readonly Lock _stockGate = new();
    private readonly ConcurrentDictionary<string, Product> _products = new(
        DemoData.Products.Concat(DemoData.NewProducts).Select(p => KeyValuePair.Create(p.Sku, p)),
        StringComparer.Ordinal);

    private int _lastOrderNumber;
    private long _skippedOutcomes;
    private long _ordersExported;

    /// <summary>Gets the categories; their changes are published as entity type <c>categories</c>.</summary>
    public EntityTable<Category> Categories { get; } = Seed(new EntityTable<Category>("categories", c => c.Id), DemoData.Categories.Append(DemoData.SaleCategory));

    /// <summary>Gets the inventory levels; their changes are published as entity type <c>inventory</c>.</summary>
    public EntityTable<InventoryLevel> Inventory { get; } = Seed(
        new EntityTable<InventoryLevel>("inventory", l => l.Sku),
        DemoData.Products.Concat(DemoData.NewProducts).Select(p => new InventoryLevel(p.Sku, DemoData.OpeningStock)));

    /// <summary>Gets the catalog.</summary>
    public IReadOnlyDictionary<string, Product> Products => _products;

    /// <summary>Gets or sets the last WMS shipment sequence number applied (the shipping confirmations job's cursor).</summary>
    public long ShipmentCursor { get; set; }

    /// <summary>Gets or sets the last WMS inventory sequence number applied (the inventory download job's cursor).</summary>
    public long InventoryCursor { get; set; }

    /// <summary>Gets how many times the order-submit job reported an order skipped (still pending, tried again later).</summary>
    public long SkippedOutcomes => Interlocked.Read(ref _skippedOutcomes);

    /// <summary>Starts a checkout: gives the order its number. It counts as placed once <see cref="Place"/> is called.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="postalCode">The ship-to postal code.</param>
    /// <param name="lines">The lines.</param>
    /// <param name="placedAt">When.</param>
    /// <returns>The order, to offer to the order-submit job's inbox.</returns>
    public Order NewOrder(string customerId, string postalCode, IReadOnlyList<OrderLine> lines, DateTimeOffset placedAt)
    {
        var order = new Order($"SO-{runTag}-{Interlocked.Increment(ref _lastOrderNumber):0000}", customerId, placedAt, postalCode, lines);
        _createdHere[order.Number] = true;
        return order;
    }

    /// <summary>Completes a checkout once the order is in the job store: counts it as placed and reserves its stock.</summary>
    /// <param name="order">The order, from <see cref="NewOrder"/>, offered to the inbox.</param>
    /// <returns>The changes of the stock levels it reserved (to publish).</returns>
    public EntityChange[] Place(Order order)
    {
        ArgumentNullException.ThrowIfNull(order);
        _placed.Enqueue(order.Number);
        return [.. order.Lines.Select(line => Inventory.Update(line.Sku, level => new InventoryLevel(line.Sku, (level?.OnHand ?? 0) - line.Quantity)))];
    }

    /// <summary>Whether an order was placed by an earlier run of the storefront (its order is resumed from the job store).</summary>
    /// <param name="orderNumber">The order.</param>
    /// <returns><see langword="true"/> when this run did not create it.</returns>
    public bool IsFromPreviousRun(string orderNumber) => !_createdHere.ContainsKey(orderNumber);

    /// <summary>Gets the last status the order-submit job reported for an order.</summary>
    /// <param name="orderNumber">The order.</param>
    /// <returns>The status, or <see langword="null"/> when none was reported yet (pending).</returns>
    public RecordStatus? GetStatus(string orderNumber) => _statuses.TryGetValue(orderNumber, out var status) ? status : null;

    /// <summary>Records an order's outcome for a run of the order-submit job: Submitted, ExportFailed, or skipped (still pending).</summary>
    /// <param name="orderNumber">The order, placed by this run or by a previous one.</param>
    /// <param name="status">The outcome.</param>
    public void SetStatus(string orderNumber, RecordStatus status) => _statuses[orderNumber] = status;

    /// <summary>Records that the order-submit job skipped orders for this run.</summary>
    /// <param name="count">How many.</param>
    public void CountSkipped(int count) => Interlocked.Add(ref _skippedOutcomes, count);

    /// <summary>Changes a product's price (the PIM said so).</summary>
    /// <param name="sku">The product.</param>
    /// <param name="price">The new price.</param>
    public void SetPrice(string sku, decimal price) => _products.AddOrUpdate(sku, _ => throw new KeyNotFoundException(sku), (_, p) => p with { Price = price });

    /// <summary>Queues an order the ERP accepted for the next export to the reporting system (the order-export job).</summary>
    /// <param name="order">The order.</param>
    /// <param name="submittedAt">When the ERP accepted it.</param>
    public void QueueForExport(Order order, DateTimeOffset submittedAt)
    {
        ArgumentNullException.ThrowIfNull(order);
        _toExport.Enqueue(new SubmittedOrder(order.Number, order.CustomerId, order.PlacedAt, submittedAt, order.Lines.Count, order.Lines.Sum(l => l.Quantity), order.Total));
    }

    /// <summary>Takes the next order waiting for export.</summary>
    /// <returns>The order, or <see langword="null"/> when none waits.</returns>
    public SubmittedOrder? TakeForExport()
    {
        if (!_toExport.TryDequeue(out var order))
        {
            return null;
        }

        Interlocked.Increment(ref _ordersExported);
        return order;
    }

    /// <summary>Gets how many submitted orders the order-export job took for its files.</summary>
    public long OrdersExported => Interlocked.Read(ref _ordersExported);

    /// <summary>
    /// Takes a stock level from the WMS into the stock table (the inventory-upload job), unless the cart already took a
    /// newer one for that product (a later download, or a higher sequence of the same download).
    /// </summary>
    /// <param name="update">The level.</param>
    /// <returns>The change to publish, or <see langword="null"/> when the level is older or the same as the table's.</returns>
    public EntityChange? ApplyStock(StockUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (_stockGate)
        {
            if (_stockFromWms.TryGetValue(update.Sku, out var applied) && (applied.DownloadedAt, applied.Sequence).CompareTo((update.DownloadedAt, update.Sequence)) >= 0)
            {
                return null;
            }

            _stockFromWms[update.Sku] = (update.DownloadedAt, update.Sequence);
            return Inventory.Find(update.Sku)?.OnHand == update.OnHand ? null : Inventory.Upsert(new InventoryLevel(update.Sku, update.OnHand));
        }
    }

    /// <summary>Marks an order shipped.</summary>
    /// <param name="orderNumber">The order.</param>
    /// <param name="trackingNumber">The carrier's tracking number.</param>
    public void MarkShipped(string orderNumber, string trackingNumber) => _trackingNumbers[orderNumber] = trackingNumber;

    /// <summary>Counts the orders by status: those placed by this run, and apart, those of a previous run the job reported on.</summary>
    /// <returns>The counts.</returns>
    public OrderCounts CountOrders()
    {
        var placed = Count(_placed);
        var resumed = Count(_statuses.Keys.Where(IsFromPreviousRun));
        return new OrderCounts(placed.Orders, placed.Submitted, placed.Pending, placed.Failed, placed.Shipped)
        {
            Resumed = resumed.Orders,
            ResumedSubmitted = resumed.Submitted,
            ResumedPending = resumed.Pending,
            ResumedFailed = resumed.Failed,
            ResumedShipped = resumed.Shipped,
        };
    }

    private (int Orders, int Submitted, int Pending, int Failed, int Shipped) Count(IEnumerable<string> orderNumbers)
    {
        int orders = 0, submitted = 0, pending = 0, failed = 0, shipped = 0;
        foreach (var number in orderNumbers)
        {
            orders++;
            switch (GetStatus(number))
            {
                case RecordStatus.Delivered:
                    submitted++;
                    break;
                case RecordStatus.PermanentFailure:
                    failed++;
                    break;
                default:
                    pending++;      // not reported yet, or skipped for a run (tried again later)
                    break;
            }

            if (_trackingNumbers.ContainsKey(number))
            {
                shipped++;
            }
        }

        return (orders, submitted, pending, failed, shipped);
    }

    private static EntityTable<T> Seed<T>(EntityTable<T> table, IEnumerable<T> rows)
        where T : class
    {
        foreach (var row in rows)
        {
            table.Upsert(row);
        }

        return table;
    }
}
