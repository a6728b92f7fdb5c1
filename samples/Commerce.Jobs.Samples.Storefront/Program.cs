// Commerce.Jobs storefront sample: a storefront, an ERP/WMS over HTTP and the jobs between them, in one process.
// Run: dotnet run --project samples/Commerce.Jobs.Samples.Storefront [-- --duration 30s --failure-rate 0.1 --orders-per-second 20]
using Commerce.Jobs;
using Commerce.Jobs.Adapters;
using Commerce.Jobs.Samples.Storefront.Erp;
using Commerce.Jobs.Samples.Storefront.Integration;
using Commerce.Jobs.Samples.Storefront.Shop;
using Commerce.Jobs.Samples.Storefront.Simulation;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

if (!SampleOptions.TryParse(args, out var options, out var error))
{
    await Console.Error.WriteLineAsync($"{error}{Environment.NewLine}{Environment.NewLine}{SampleOptions.Usage}");
    return 2;
}

if (options.ShowHelp)
{
    Console.WriteLine(SampleOptions.Usage);
    return 0;
}

// The ERP/WMS this storefront integrates with: simulated, but over real HTTP on 127.0.0.1 and a free port.
await using var erp = await FakeErp.StartAsync(options.FailureRate, CancellationToken.None);

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders().AddCompactConsole();
builder.Logging.SetMinimumLevel(LogLevel.Warning);                          // Microsoft.* and the engine: warnings only
builder.Logging.AddFilter("Commerce.Jobs.Samples", LogLevel.Information);   // this sample: what happens

// The host's own services: its storefront database, its search service, and HTTP clients for the ERP.
var cart = new Cart();
var search = new InMemoryTarget("search");                                  // stands in for a search service
builder.Services.AddSingleton(cart).AddSingleton(search).AddSingleton(erp).AddSingleton(options);
builder.Services.AddHttpClient<ErpOrderTarget>(http => http.BaseAddress = erp.BaseAddress);
builder.Services.AddHttpClient<ErpClient>(http => http.BaseAddress = erp.BaseAddress);

builder.Services.AddCommerceJobs(jobs =>
{
    // No UseStore: the in-memory store (the default) keeps run history and record failures for the process's life.
    jobs.Configure(engine => engine.ShutdownTimeout = TimeSpan.FromSeconds(3));  // on stop, running batches get 3 s to finish
    jobs.AddTarget(search);

    // Target health: when under half the ERP's calls succeed (over 10 s, at least 10 calls), pause deliveries to it for
    // 5 s instead of burning retries; the status table and the log say so, and the failure notifiers are told once.
    jobs.ConfigureTarget(nameof(ErpOrderTarget), erpHealth =>
    {
        erpHealth.FailureRatio = 0.5;
        erpHealth.SamplingDuration = TimeSpan.FromSeconds(10);
        erpHealth.BreakDuration = TimeSpan.FromSeconds(5);
    });

    jobs.AddRecordJob<Order>("order-submit")
        .ReadFrom(cart.Orders)                                              // the cart's pending orders
        .DeliverTo<ErpOrderTarget>()                                        // POST /orders to the ERP
        .ReportStatusTo<CartOrderStatus>()                                  // Submitted / ExportFailed in the cart
        .Schedule(Schedule.Automatic())                                     // as soon as an order is placed
        .Batch(size: 50, maxItemsToSkip: 100, maxAge: TimeSpan.FromDays(30))
        .RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(3));

    jobs.AddJob<ShippingConfirmations>("shipping-confirmations").Schedule(Schedule.Every(TimeSpan.FromSeconds(5)));
    jobs.AddJob<InventoryDownload>("inventory-download").Schedule(Schedule.Every(TimeSpan.FromSeconds(5)));
    jobs.AddJob<ProductRefresh>("product-refresh").Schedule(Schedule.Every(TimeSpan.FromSeconds(6)));
    jobs.AddJob<RebuildSearchIndex>("rebuild-search-index").Schedule(Schedule.After("product-refresh"));
    jobs.AddJob<OrderHistory>("order-history").Schedule(Schedule.Manual()).MaxConcurrency(4);  // awaited with IJobRunner.RunAsync

    // Categories and stock levels to search. Stand-ins for entity sync, which the library does not have yet:
    // record jobs over change feeds, so many edits between two runs go out as one delivery of the latest state.
    jobs.AddRecordJob<Category>("category-sync")
        .ReadFrom(cart.Categories)
        .ReportStatusTo(cart.Categories)
        .DeliverTo("search")
        .Schedule(Schedule.Automatic());
    jobs.AddRecordJob<InventoryLevel>("inventory-sync")
        .ReadFrom(cart.Inventory)
        .ReportStatusTo(cart.Inventory)
        .DeliverTo("search")
        .Schedule(Schedule.Automatic().Or(Schedule.After("inventory-download")));

    jobs.AddJobStatusReport().Schedule(Schedule.Every(TimeSpan.FromSeconds(10)));
    jobs.AddNightlyMaintenance();                                           // daily at 02:00 server time
});

builder.Services.AddHostedService<StorefrontSimulation>();
builder.Services.AddHostedService<StatusBoard>();

using var host = builder.Build();
Console.WriteLine($"Simulated ERP/WMS listening on {erp.BaseAddress} (failure rate {options.FailureRate:P0}); running for {options.Duration}. Ctrl+C stops early.");
await host.StartAsync();
await host.WaitForShutdownAsync();

// The host has stopped: the final Job Status Report and what happened to the orders.
var monitor = host.Services.GetRequiredService<IJobMonitor>();
Console.WriteLine();
Console.WriteLine(JobStatusReport.Create(monitor, TimeProvider.System).ToText());
Console.WriteLine($"ERP: {erp.Stats}.");
Console.WriteLine($"Search: {Current(cart.Categories, "category-sync")} categories current after {cart.Categories.Changes} edits; {Current(cart.Inventory, "inventory-sync")} stock levels current after {cart.Inventory.Changes} changes.");
Console.WriteLine($"Summary: {cart.CountOrders()}.");
return 0;

// How many entities the search service holds in their latest state ("8 of 8").
string Current<T>(ChangeFeed<T> feed, string job)
    where T : class, IRecord
{
    var current = feed.Current;
    return $"{current.Count(e => search.Records.GetValueOrDefault($"{job}:{e.RecordId}") is T indexed && indexed.Equals(e))} of {current.Count}";
}
