using System.Globalization;
using Commerce.Jobs.Samples.Storefront.Erp;
using Commerce.Jobs.Samples.Storefront.Integration;
using Commerce.Jobs.Samples.Storefront.Search;
using Commerce.Jobs.Samples.Storefront.Shop;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Samples.Storefront.Simulation;

/// <summary>
/// Drives the demo: customers place orders at the configured rate (each one offered to order-submit's inbox in the job
/// store, then counted as placed, and the stock it reserved published), merchandisers edit categories (each edit published for entity sync), customers open their
/// order-history page now and then. At the start an administrator runs a full sync of the categories; at 40 % the
/// categories are paused for a reorganization of the catalog and resumed; at 60 % one category is re-synced; near the
/// end the ERP imports the new items and an administrator resubmits all orders; then the store closes, the jobs drain,
/// and the host stops.
/// </summary>
internal sealed class StorefrontSimulation(
    Cart cart,
    FakeErp erp,
    FakeSearch search,
    IJobTrigger jobTriggers,
    IRecordInbox inbox,
    IRecordStore store,
    IJobRunner jobRunner,
    IEntitySync entitySync,
    SampleOptions options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<StorefrontSimulation> logger) : BackgroundService
{
    private const string Categories = "categories";
    private const string OrderSubmit = "order-submit";
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan CategoryEditEvery = TimeSpan.FromMilliseconds(400);
    private static readonly TimeSpan NudgeEvery = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan WaitForSearch = TimeSpan.FromSeconds(5);
    private readonly Random _random = new(42);
    private readonly Random _merchandiser = new(7);
    private long _ordersPlaced;
    private volatile bool _reorganizing;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var duration = options.Duration;
        var reorganizeAt = duration * 0.4;
        var repairAt = duration * 0.6;
        var resubmitAt = duration * 0.65;
        var closeAt = duration * 0.8;
        var cleanupAt = duration * 0.9;
        var cleanedUp = false;
        var historyAt = new Queue<TimeSpan>([duration * 0.25, duration * 0.5, duration * 0.75]);
        var background = new List<Task>();
        var start = time.GetTimestamp();
        var placed = 0L;
        var nextCategoryEdit = CategoryEditEvery;
        var nextNudge = closeAt;
        var resubmitted = false;
        var reorganized = false;
        var repaired = false;

        logger.LogInformation("Storefront open: {Rate} orders/s for {Open:0.#} s, then closed for {Drain:0.#} s while the jobs drain", options.OrdersPerSecond, closeAt.TotalSeconds, (duration - closeAt).TotalSeconds);
        using var timer = new PeriodicTimer(Tick, time);
        try
        {
            await OpenAsync(stoppingToken);
            background.Add(WatchFullSyncAsync(stoppingToken));
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var elapsed = time.GetElapsedTime(start);
                if (elapsed >= duration)
                {
                    break;
                }

                if (elapsed < closeAt)
                {
                    var due = (long)(options.OrdersPerSecond * elapsed.TotalSeconds);
                    if (placed < due)
                    {
                        await PlaceOrdersAsync((int)(due - placed), stoppingToken);
                        placed = due;
                    }

                    for (; nextCategoryEdit <= elapsed; nextCategoryEdit += CategoryEditEvery)
                    {
                        await EditCategoryAsync(stoppingToken);
                    }
                }
                else if (elapsed >= nextNudge)
                {
                    if (nextNudge == closeAt)
                    {
                        logger.LogInformation("Storefront closed: no new orders; signalling order-submit until nothing is pending (in production the next order, or a cleanup run, picks up skipped orders)");
                    }

                    nextNudge = elapsed + NudgeEvery;
                    if (await store.CountPendingRecordsAsync(OrderSubmit, stoppingToken) > 0)
                    {
                        jobTriggers.Signal(OrderSubmit);
                    }
                }

                if (!reorganized && elapsed >= reorganizeAt)
                {
                    reorganized = true;
                    background.Add(ReorganizeCatalogAsync(duration, stoppingToken));
                }

                if (!repaired && elapsed >= repairAt)
                {
                    repaired = true;
                    background.Add(RepairCategoryAsync(stoppingToken));
                }

                if (!resubmitted && elapsed >= resubmitAt)
                {
                    resubmitted = true;
                    ResubmitAllOrders();
                }

                if (!cleanedUp && elapsed >= cleanupAt)
                {
                    cleanedUp = true;
                    background.Add(CleanupExportFilesAsync(stoppingToken));
                }

                while (historyAt.TryPeek(out var at) && elapsed >= at)
                {
                    historyAt.Dequeue();
                    background.Add(OpenOrderHistoryPagesAsync(stoppingToken));
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Ctrl+C: the host is stopping already.
        }

        await Task.WhenAll(background);
        lifetime.StopApplication();
    }

    /// <summary>
    /// Opening: the search service is empty. The storefront publishes its opening stock levels (one publish for all of
    /// them), and an administrator starts a full sync of the categories, read from the catalog by
    /// <see cref="CatalogCategories"/>.
    /// </summary>
    private async Task OpenAsync(CancellationToken cancellationToken)
    {
        // A pause is kept in the job store: a run killed while the categories were paused leaves them paused for the
        // next. This run's simulated catalog starts afresh, so it starts them running (a real host keeps the pause).
        if (entitySync.GetStatus(Categories).Any(s => s.PausedSince is not null))
        {
            await entitySync.ResumeAsync(Categories, cancellationToken);
            logger.LogInformation("'{Type}' was left paused by the previous run (the pause is kept in the job store); resumed for this run", Categories);
        }

        var stock = cart.Inventory.Snapshot();
        var accepted = await entitySync.PublishAsync(stock, cancellationToken);
        logger.LogInformation("Opening stock of {Products} products published for entity sync to search ({Accepted} accepted)", stock.Count, accepted);

        await entitySync.StartFullSyncAsync(Categories, cancellationToken);
        logger.LogInformation("An administrator starts a full sync of '{Type}' to search (IEntitySync.StartFullSyncAsync)", Categories);
    }

    private async Task WatchFullSyncAsync(CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        try
        {
            // FullSyncRunning goes false once the source is read to the end, before its last batch is delivered:
            // wait for search to hold every category too.
            await WaitForAsync(() => !entitySync.GetStatus(Categories).Any(s => s.FullSyncRunning), cancellationToken);
            await WaitForAsync(() => cart.Categories.Snapshot().All(search.IsCurrent), cancellationToken);
            var current = cart.Categories.Snapshot();
            logger.LogInformation(
                "Full sync of '{Type}' done after {Elapsed:0} ms: search holds {Current} of {Count} categories at their current version",
                Categories,
                time.GetElapsedTime(started).TotalMilliseconds,
                current.Count(search.IsCurrent),
                current.Count);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    /// <summary>
    /// The pause → many edits → resume cycle: an administrator pauses the categories, the merchandiser reorganizes the
    /// catalog (a hundred edits to a handful of categories, and deletes the summer sale), and the administrator resumes.
    /// The search service gets one delivery per edited category, at its latest version; the delete goes out at once.
    /// </summary>
    private async Task ReorganizeCatalogAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        const int Edits = 100;
        string[] edited = ["cat-bikes", "cat-helmets", "cat-lights", "cat-tools", "cat-bags"];
        var deleted = DemoData.SaleCategory.Id;
        var editEvery = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMilliseconds(20).Ticks, (duration * 0.15 / Edits).Ticks));
        _reorganizing = true;
        try
        {
            // Let the last regular edit reach search first, so what follows counts only the reorganization.
            await WaitForAsync(() => entitySync.GetStatus(Categories).All(s => s.PendingCount == 0), cancellationToken);

            await entitySync.PauseAsync(Categories, cancellationToken);
            var before = edited.ToDictionary(id => id, id => search.Received(Categories, id), StringComparer.Ordinal);
            logger.LogInformation(
                "An administrator pauses entity sync of '{Type}' (IEntitySync.PauseAsync); the merchandiser reorganizes the catalog: {Edits} edits to {Count} categories ({Ids}), and deletes {Deleted}",
                Categories,
                Edits,
                edited.Length,
                string.Join(", ", edited),
                deleted);

            for (var i = 0; i < Edits; i++)
            {
                var id = edited[i % edited.Length];
                var sortOrder = _merchandiser.Next(1, 100);
                var change = cart.Categories.Update(id, c => c! with { SortOrder = sortOrder });
                await entitySync.PublishAsync(change, cancellationToken);
                if (i == Edits / 2)
                {
                    await DeleteCategoryAsync(deleted, cancellationToken);
                }

                await Task.Delay(editEvery, time, cancellationToken);
            }

            var held = entitySync.GetStatus(Categories).Single();
            var receivedWhilePaused = edited.Sum(id => search.Received(Categories, id) - before[id]);
            logger.LogInformation(
                "{Edits} edits made while '{Type}' is paused: search received {Received} of them; {Pending} consolidated upserts wait (paused since {PausedSince:HH:mm:ss.fff})",
                Edits,
                Categories,
                receivedWhilePaused,
                held.PendingCount,
                held.PausedSince?.ToLocalTime());

            var resumed = time.GetTimestamp();
            await entitySync.ResumeAsync(Categories, cancellationToken);
            var current = await WaitForAsync(() => edited.All(id => cart.Categories.Read(id) is { } latest && search.IsCurrent(latest)), cancellationToken);
            var received = edited.ToDictionary(id => id, id => search.Received(Categories, id) - before[id], StringComparer.Ordinal);
            logger.LogInformation(
                "An administrator resumes '{Type}' (IEntitySync.ResumeAsync): within {Elapsed:0} ms search received {Edits} edits as {Total} deliveries, {Shape} ({Deliveries})",
                Categories,
                time.GetElapsedTime(resumed).TotalMilliseconds,
                Edits,
                received.Values.Sum(),
                current && received.Values.All(n => n == 1) ? "one per edited category, at its latest version" : "NOT one per edited category",
                string.Join(", ", edited.Select(id => $"{id} {received[id]}× v{search.Find(Categories, id)?.Version}")));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
        finally
        {
            _reorganizing = false;
        }
    }

    private async Task DeleteCategoryAsync(string id, CancellationToken cancellationToken)
    {
        if (cart.Categories.Delete(id) is not { } delete)
        {
            return;
        }

        var published = time.GetTimestamp();
        await entitySync.PublishAsync(delete, cancellationToken);
        var arrived = await WaitForAsync(() => search.Find(Categories, id) is { Deleted: true }, cancellationToken);
        logger.LogInformation(
            "The merchandiser deletes {Id} ({Change}): {Outcome} while '{Type}' is paused; deletes are never paused",
            id,
            delete,
            arrived ? $"search removed it {time.GetElapsedTime(published).TotalMilliseconds:0} ms later" : "search has not removed it",
            Categories);
    }

    /// <summary>A targeted sync: search support reports one category looks wrong, and an administrator re-syncs just that id.</summary>
    private async Task RepairCategoryAsync(CancellationToken cancellationToken)
    {
        var id = DemoData.Categories[3].Id;
        try
        {
            var before = search.Received(Categories, id);
            var returned = await entitySync.SyncIdsAsync(Categories, [id], cancellationToken);
            await WaitForAsync(() => search.Received(Categories, id) > before, cancellationToken);
            logger.LogInformation(
                "Search support reports {Id} looks wrong; an administrator re-syncs it (IEntitySync.SyncIdsAsync): the source returned {Returned} change, search received it again at v{Version} (changes received for it: {Before} → {After})",
                id,
                returned,
                search.Find(Categories, id)?.Version,
                before,
                search.Received(Categories, id));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    /// <summary>Waits until a condition holds, or <see cref="WaitForSearch"/> has passed.</summary>
    private async Task<bool> WaitForAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        while (!condition())
        {
            if (time.GetElapsedTime(started) >= WaitForSearch)
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(5), time, cancellationToken);
        }

        return true;
    }

    /// <summary>
    /// Customers check out: each order goes into order-submit's inbox in the job store first (<see cref="IRecordInbox.OfferAsync"/>
    /// returns once it is stored, and signals the job), and only then counts as placed and reserves its stock. So an order
    /// the storefront confirmed is never only in memory: with the SQLite store a hard kill loses none, and the next run
    /// delivers it. The orders of one 50 ms tick are offered in one call (one transaction).
    /// </summary>
    private async Task PlaceOrdersAsync(int count, CancellationToken cancellationToken)
    {
        var orders = new Order[count];
        for (var n = 0; n < count; n++)
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
            orders[n] = cart.NewOrder(customer, postalCode, lines, time.GetUtcNow());
        }

        // Not cancelled by Ctrl+C: a checkout in progress finishes its write, so an order is either stored or never confirmed.
        await inbox.OfferAsync(OrderSubmit, orders, CancellationToken.None);

        // What a storefront does once the order is stored: confirm it, and publish the stock it reserved.
        var stockChanges = orders.SelectMany(cart.Place).ToList();
        await entitySync.PublishAsync(stockChanges, cancellationToken);
    }

    private async Task EditCategoryAsync(CancellationToken cancellationToken)
    {
        if (_reorganizing)
        {
            return;     // the merchandiser is busy reorganizing the catalog
        }

        var categories = cart.Categories.Current;
        var id = categories[_random.Next(categories.Count)].Id;
        var sortOrder = _random.Next(1, 100);
        var change = cart.Categories.Update(id, category => category! with { SortOrder = sortOrder });
        await entitySync.PublishAsync(change, cancellationToken);
    }

    private void ResubmitAllOrders()
    {
        var items = DemoData.NewProducts.Select(p => p.Sku).ToArray();
        erp.ImportItems(items);
        logger.LogInformation("The ERP imported the new items {Items}; an administrator clicks 'Resubmit All Orders'", string.Join(", ", items));
        jobTriggers.Resubmit(OrderSubmit);
    }

    /// <summary>
    /// Cleanup Export Files runs daily at 03:00, so not during the demo: an administrator runs it now (an awaited
    /// on-demand run), and the log says what it removed from the export folder.
    /// </summary>
    private async Task CleanupExportFilesAsync(CancellationToken cancellationToken)
    {
        const string Cleanup = "cleanup-export-files";
        var before = ExportFiles();
        try
        {
            var result = await jobRunner.RunAsync(Cleanup, null, TimeSpan.FromSeconds(10), cancellationToken);
            var after = ExportFiles();
            logger.LogInformation(
                "An administrator runs '{Job}' now (daily at 03:00): {Outcome}, deleted {Deleted} of {Before} order-export CSV files older than {Retention:0.#} s, {After} kept{Error}",
                Cleanup,
                result.Outcome,
                before.Except(after, StringComparer.Ordinal).Count(),
                before.Count,
                Program.ExportRetention(options.Duration).TotalSeconds,
                after.Count,
                result.Error is null ? string.Empty : $" ({result.Error})");
        }
        catch (Exception ex) when (ex is JobRunFailedException or TimeoutException or InvalidOperationException)
        {
            logger.LogWarning("'{Job}': {Error}", Cleanup, ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host is stopping.
        }

        static HashSet<string> ExportFiles() => Directory.Exists(Program.ExportFolder)
            ? new HashSet<string>(Directory.EnumerateFiles(Program.ExportFolder, "order-export_*.csv"), StringComparer.Ordinal)
            : [];
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
                logger.LogInformation("Order history page for {Customer}: 'please try again' ({Outcome}), after {Elapsed:0} ms", customerId, result.Outcome, elapsed);
            }
        }
        catch (JobRunFailedException ex)
        {
            // The run failed (the ERP was unavailable): the page says so instead of showing an empty history.
            logger.LogInformation("Order history page for {Customer}: 'please try again' ({Error}), after {Elapsed:0} ms", customerId, ex.Message, time.GetElapsedTime(started).TotalMilliseconds);
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
