using System.Globalization;
using Commerce.Jobs.Samples.Storefront.Erp;
using Commerce.Jobs.Samples.Storefront.Integration;
using Commerce.Jobs.Samples.Storefront.Shop;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Samples.Storefront.Simulation;

/// <summary>
/// Drives the demo: customers place orders at the configured rate (each one signals order-submit), merchandisers edit
/// categories, customers open their order-history page now and then; near the end the ERP imports the new items and an
/// administrator resubmits all orders; then the store closes, the jobs drain, and the host stops.
/// </summary>
internal sealed class StorefrontSimulation(
    Cart cart,
    FakeErp erp,
    IJobTrigger jobTriggers,
    IJobRunner jobRunner,
    SampleOptions options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<StorefrontSimulation> logger) : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan CategoryEditEvery = TimeSpan.FromMilliseconds(400);
    private static readonly TimeSpan NudgeEvery = TimeSpan.FromMilliseconds(500);
    private readonly Random _random = new(42);
    private long _ordersPlaced;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var duration = options.Duration;
        var resubmitAt = duration * 0.65;
        var closeAt = duration * 0.8;
        var historyAt = new Queue<TimeSpan>([duration * 0.25, duration * 0.5, duration * 0.75]);
        var historyLookups = new List<Task>();
        var start = time.GetTimestamp();
        var placed = 0L;
        var nextCategoryEdit = TimeSpan.Zero;
        var nextNudge = closeAt;
        var resubmitted = false;

        logger.LogInformation("Storefront open: {Rate} orders/s for {Open:0.#} s, then closed for {Drain:0.#} s while the jobs drain", options.OrdersPerSecond, closeAt.TotalSeconds, (duration - closeAt).TotalSeconds);
        using var timer = new PeriodicTimer(Tick, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var elapsed = time.GetElapsedTime(start);
                if (elapsed >= duration)
                {
                    break;
                }

                if (elapsed < closeAt)
                {
                    for (var due = (long)(options.OrdersPerSecond * elapsed.TotalSeconds); placed < due; placed++)
                    {
                        PlaceOrder();
                    }

                    for (; nextCategoryEdit <= elapsed; nextCategoryEdit += CategoryEditEvery)
                    {
                        EditCategory();
                    }
                }
                else if (elapsed >= nextNudge)
                {
                    if (nextNudge == closeAt)
                    {
                        logger.LogInformation("Storefront closed: no new orders; signalling order-submit until nothing is pending (in production the next order, or a cleanup run, picks up skipped orders)");
                    }

                    nextNudge = elapsed + NudgeEvery;
                    if (cart.Orders.PendingCount > 0)
                    {
                        jobTriggers.Signal("order-submit");
                    }
                }

                if (!resubmitted && elapsed >= resubmitAt)
                {
                    resubmitted = true;
                    ResubmitAllOrders();
                }

                while (historyAt.TryPeek(out var at) && elapsed >= at)
                {
                    historyAt.Dequeue();
                    historyLookups.Add(OpenOrderHistoryPagesAsync(stoppingToken));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Ctrl+C: the host is stopping already.
        }

        await Task.WhenAll(historyLookups);
        lifetime.StopApplication();
    }

    private void PlaceOrder()
    {
        var lines = new List<OrderLine>();
        for (var i = _random.Next(1, 4); i > 0; i--)
        {
            var product = DemoData.Products[_random.Next(DemoData.Products.Count)];
            lines.Add(new OrderLine(product.Sku, _random.Next(1, 4), cart.Products[product.Sku].Price));
        }

        // 2 orders in 100 are invalid for the ERP: one holds a product the ERP does not know yet, one has no postal code.
        _ordersPlaced++;
        if (_ordersPlaced % 100 == 7)
        {
            var product = DemoData.NewProducts[_random.Next(DemoData.NewProducts.Count)];
            lines.Add(new OrderLine(product.Sku, 1, product.Price));
        }

        var postalCode = _ordersPlaced % 100 == 57 ? string.Empty : _random.Next(10_000, 100_000).ToString(CultureInfo.InvariantCulture);
        var customer = DemoData.Customers[_random.Next(DemoData.Customers.Count)];
        cart.PlaceOrder(customer, postalCode, lines, time.GetUtcNow());

        // What a storefront does when an order is placed (and stock is reserved): tell the jobs there is data.
        jobTriggers.Signal("order-submit");
        jobTriggers.Signal("inventory-sync");
    }

    private void EditCategory()
    {
        var id = DemoData.Categories[_random.Next(DemoData.Categories.Count)].Id;
        var sortOrder = _random.Next(1, 100);
        cart.Categories.Update(id, category => category! with { SortOrder = sortOrder });
        jobTriggers.Signal("category-sync");
    }

    private void ResubmitAllOrders()
    {
        var items = DemoData.NewProducts.Select(p => p.Sku).ToArray();
        erp.ImportItems(items);
        logger.LogInformation("The ERP imported the new items {Items}; an administrator clicks 'Resubmit All Orders'", string.Join(", ", items));
        jobTriggers.Resubmit("order-submit");
    }

    private async Task OpenOrderHistoryPagesAsync(CancellationToken cancellationToken)
    {
        // Three customers open their order-history page at the same moment; the job runs up to 4 at once.
        var customers = Enumerable.Range(0, 3).Select(_ => DemoData.Customers[_random.Next(DemoData.Customers.Count)]).Distinct().ToArray();
        await Task.WhenAll(customers.Select(c => OpenOrderHistoryPageAsync(c, cancellationToken)));
    }

    private async Task OpenOrderHistoryPageAsync(string customerId, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            var result = await jobRunner.RunAsync("order-history", new OrderHistoryQuery(customerId), TimeSpan.FromSeconds(5), cancellationToken);
            var elapsed = time.GetElapsedTime(started).TotalMilliseconds;
            if (result.Value is ErpOrderSummary[] orders)
            {
                logger.LogInformation(
                    "Order history page for {Customer}: {Orders} ({Shipped} shipped), answered in {Elapsed:0} ms",
                    customerId,
                    orders.Length == 1 ? "1 order" : $"{orders.Length} orders",
                    orders.Count(o => o.Status == "Shipped"),
                    elapsed);
            }
            else
            {
                logger.LogInformation("Order history page for {Customer}: 'please try again' ({Error}), after {Elapsed:0} ms", customerId, result.Error, elapsed);
            }
        }
        catch (TimeoutException ex)
        {
            logger.LogWarning("Order history page for {Customer}: {Error}", customerId, ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
        catch (InvalidOperationException ex)
        {
            logger.LogWarning("Order history page for {Customer}: {Error}", customerId, ex.Message);
        }
    }
}
