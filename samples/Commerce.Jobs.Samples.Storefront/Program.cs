// Commerce.Jobs storefront sample: a storefront, an ERP/WMS over HTTP and the jobs between them, in one process.
// Run: dotnet run --project samples/Commerce.Jobs.Samples.Storefront [-- --duration 30s --failure-rate 0.1 --orders-per-second 20 --store sqlite --dashboard-port 0 --smtp 127.0.0.1:1025]
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Commerce.Jobs;
using Commerce.Jobs.Adapters;
using Commerce.Jobs.Samples.Storefront.Erp;
using Commerce.Jobs.Samples.Storefront.Integration;
using Commerce.Jobs.Samples.Storefront.Search;
using Commerce.Jobs.Samples.Storefront.Shop;
using Commerce.Jobs.Samples.Storefront.Simulation;
using Commerce.Jobs.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
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

// The search service: simulated too, over real HTTP on its own free port (a bulk ingestion API; it never misbehaves).
await using var search = await FakeSearch.StartAsync(CancellationToken.None);

// The host: a web application, so that it can serve the jobs dashboard (on 127.0.0.1, local requests only).
var builder = WebApplication.CreateBuilder();
builder.WebHost.UseUrls($"http://127.0.0.1:{options.DashboardPort}");
builder.Logging.ClearProviders().AddCompactConsole();
builder.Logging.SetMinimumLevel(LogLevel.Warning);                          // Microsoft.* and the engine: warnings only
builder.Logging.AddFilter("Commerce.Jobs.Samples", LogLevel.Information);   // this sample: what happens

// The host's own services: its storefront database, the search service (to check what it holds), and HTTP clients for the ERP.
var cart = new Cart(DateTime.Now.ToString("MMdd-HHmmss", CultureInfo.InvariantCulture));   // this run's order numbers: SO-1123-152301-0001, ...
builder.Services.AddSingleton(cart).AddSingleton(search).AddSingleton(erp).AddSingleton(options);
builder.Services.AddHttpClient<ErpOrderTarget>(http => http.BaseAddress = erp.BaseAddress);
builder.Services.AddHttpClient<ErpClient>(http => http.BaseAddress = erp.BaseAddress);

builder.Services.AddCommerceJobs(jobs =>
{
    // The job store: run history, the order inbox, entity changes waiting for search. SQLite (the default here) keeps
    // them in a file, so orders offered to the inbox survive a crash; without UseSqliteStore the store is in memory.
    #region sample-job-store
    if (options.Store == SampleStore.Sqlite)
    {
        jobs.UseSqliteStore($"Data Source={DatabaseFile}");     // the default: a file in the working directory
    }                                                           // --store memory: no UseStore, the in-memory store
    #endregion

    jobs.Configure(engine => engine.ShutdownTimeout = TimeSpan.FromSeconds(3));  // on stop, running batches get 3 s to finish

    // --smtp host:port: failed runs (and unhealthy targets) are e-mailed to a local SMTP catcher, at most one e-mail per
    // job a minute; off by default, so the sample needs nothing installed.
    if (options.Smtp is { } smtp)
    {
        jobs.AddEmailFailureNotifier(email =>
        {
            email.SmtpHost = smtp.Host;
            email.SmtpPort = smtp.Port;
            email.Security = Commerce.Jobs.Notifications.Email.EmailSecurity.None;   // a local catcher; a real server: StartTls with credentials
            email.From = "Storefront jobs <jobs@storefront.test>";
            email.To.Add("admin@storefront.test");
            email.SiteName = "Storefront sample";
            email.ThrottlePeriod = TimeSpan.FromMinutes(1);
        });
    }

    // The search service's bulk ingestion API: the library's search ingestion target (HTTP, one POST of bulk
    // operations per batch, API key in the "api-key" header), named "search" for entity sync and the rebuild job.
    jobs.AddSearchIngestionTarget("search", s =>
    {
        s.Endpoint = new Uri(search.BaseAddress, FakeSearch.BulkPath);     // "indexes/catalog/docs/bulk"
        s.ApiKey = FakeSearch.ApiKey;                                       // "sample-search-key"; a real host reads it from configuration
    });

    // Target health: when under half the ERP's calls succeed (over 10 s, at least 10 calls), pause deliveries to it for
    // 5 s instead of burning retries; the status table and the log say so, and the failure notifiers are told once.
    jobs.ConfigureTarget(nameof(ErpOrderTarget), erpHealth =>
    {
        erpHealth.FailureRatio = 0.5;
        erpHealth.SamplingDuration = TimeSpan.FromSeconds(10);
        erpHealth.BreakDuration = TimeSpan.FromSeconds(5);
    });

    jobs.AddRecordJob<Order>("order-submit")
        .ReadFromInbox()                                                    // orders the storefront offers (IRecordInbox)
        .DeliverTo<ErpOrderTarget>()                                        // POST /orders to the ERP (a typed HttpClient, registered above)
        .ReportStatusTo<CartOrderStatus>(ServiceLifetime.Scoped)            // Submitted / ExportFailed in the cart
        .Schedule(Schedule.Automatic())                                     // as soon as an order is placed
        .Batch(size: 50, maxItemsToSkip: 100, maxAge: TimeSpan.FromDays(30))
        .RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(3));

    // WMS → cart: the downloads (interval) offer what they read to two inbox jobs that deliver it to the cart (automatic).
    jobs.AddJob<ShippingConfirmations>("shipping-confirmations").Schedule(Schedule.Every(TimeSpan.FromSeconds(5)));
    jobs.AddRecordJob<Shipment>("shipment-upload")
        .ReadFromInbox()                                                    // offered by shipping-confirmations
        .DeliverTo<CartShipmentTarget>(ServiceLifetime.Scoped)              // marks the orders shipped in the cart
        .Schedule(Schedule.Automatic())
        .Batch(size: 100)
        .RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(2));
    jobs.AddJob<InventoryDownload>("inventory-download").Schedule(Schedule.Every(TimeSpan.FromSeconds(5)));
    jobs.AddRecordJob<StockUpdate>("inventory-upload")
        .ReadFromInbox()                                                    // offered by inventory-download
        .DeliverTo<CartStockTarget>(ServiceLifetime.Scoped)                 // the cart's stock table, then entity sync to search
        .Schedule(Schedule.Automatic())
        .Batch(size: 100)
        .RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(2));

    // Cart → reporting: the orders the ERP accepted, as CSV files in a folder the reporting system reads. An export
    // leaves the orders' status alone (WithoutStatusUpdates); Cleanup Export Files deletes files past their retention.
    jobs.AddFileExportTarget("order-files", files =>
    {
        files.Folder = ExportFolder;                                        // under the working directory
        files.Format = FileExportFormat.Csv;
        files.CreateFolder = true;
    });
    jobs.AddRecordJob<SubmittedOrder>("order-export")
        .ReadFrom<SubmittedOrders>(ServiceLifetime.Scoped)
        .DeliverTo("order-files")
        .WithKey(o => o.Number)
        .WithoutStatusUpdates()
        .Schedule(Schedule.Every(TimeSpan.FromSeconds(3)))                  // hourly in real life
        .Batch(size: 500);
    jobs.AddExportCleanup("cleanup-export-files", ExportFolder, ExportRetention(options.Duration));  // daily at 03:00; 30 days in real life
    jobs.AddJob<ProductRefresh>("product-refresh").Schedule(Schedule.Every(TimeSpan.FromSeconds(6)));
    jobs.AddRecordJob<ProductDocument>("rebuild-search-index")
        .ReadFrom(new CatalogProductDocuments(cart))                        // every product, as search indexes it
        .WithKey(d => d.Sku)
        .DeliverTo("search")                                                // bulk upserts to the search ingestion target
        .Schedule(Schedule.After("product-refresh"))                        // job chain: after each successful refresh
        .WithoutStatusUpdates();
    jobs.AddJob<OrderHistory>("order-history").Schedule(Schedule.Manual()).MaxConcurrency(4);  // awaited with IJobRunner.RunAsync

    // Categories and stock levels to search: entity sync. The storefront publishes each change through IEntitySync
    // (EntityChange.Upsert / Delete with the row's version); each (type, target) delivers them in batches as they
    // happen, and holds upserts while the type is paused: many edits of one category become one delivery on resume.
    jobs.AddEntitySync("categories")
        .DeliverTo("search")
        .ReadFrom<CatalogCategories>();                                     // for the full sync and the targeted sync
    jobs.AddEntitySync("inventory")
        .DeliverTo("search");

    jobs.AddJobStatusReport().Schedule(Schedule.Every(TimeSpan.FromSeconds(10)));
    jobs.AddNightlyMaintenance();                                           // daily at 02:00 server time
});

builder.Services.AddHostedService<StorefrontSimulation>();
builder.Services.AddHostedService<StatusBoard>();

// The operations surface: the dashboard and management API (state changes carry an antiforgery token), and a health
// check that turns unhealthy when the ERP's circuit opens or a job fails 3 times in a row.
builder.Services.AddAntiforgery();
builder.Services.AddHealthChecks().AddCommerceJobs();

await using var host = builder.Build();
host.MapCommerceJobs("/jobs", dashboard => dashboard.LocalOnly = true);  // a real host names a policy: dashboard.AuthorizationPolicy = "jobs-admin"
host.MapHealthChecks("/healthz");
Console.WriteLine($"Simulated ERP/WMS listening on {erp.BaseAddress} (failure rate {options.FailureRate:P0}), search service on {search.BaseAddress}; running for {options.Duration}. Ctrl+C stops early; twice, kills the process.");

// The job store opens when first resolved (the SQLite file is created, or opened as a previous run left it).
var store = host.Services.GetRequiredService<IJobStore>();
var leftPending = await store.CountPendingRecordsAsync("order-submit", CancellationToken.None);
if (options.Store == SampleStore.Sqlite)
{
    Console.WriteLine($"Job store: SQLite file {Path.GetFullPath(DatabaseFile)} (--store sqlite); orders left pending in it by a previous run: {leftPending}{(leftPending > 0 ? ", order-submit delivers them now" : string.Empty)}.");

    // The simulated storefront tables and search service start afresh each run, their versions from 1, but the file
    // remembers the higher versions a previous run delivered (a lower one counts as stale) and the changes it held for a
    // search service that is gone: forget those, so this run's search is filled again. A real host, whose database and
    // search index persist, never does this; its entity changes wait in the file across a crash like the orders.
    await store.ClearEntitySyncAsync("categories", null, CancellationToken.None);
    await store.ClearEntitySyncAsync("inventory", null, CancellationToken.None);
}
else
{
    Console.WriteLine("Job store: in memory (--store memory); the order inbox and run history live as long as the process.");
}

// Ctrl+C stops the host gracefully (the final report is printed); a second Ctrl+C is a hard kill, like SIGKILL.
var interrupts = 0;
using var hardKill = PosixSignalRegistration.Create(PosixSignal.SIGINT, _ =>
{
    if (Interlocked.Increment(ref interrupts) == 2)
    {
        Console.Error.WriteLine("Second Ctrl+C: killing the process now, as a crash would. Run again to resume.");
        Process.GetCurrentProcess().Kill();
    }
});

await host.StartAsync();
var dashboardAddress = host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
Console.WriteLine($"Dashboard: {dashboardAddress}/jobs/ (local requests only; health check at {dashboardAddress}/healthz). Keep it open longer with --duration 10m.");
if (leftPending > 0)
{
    host.Services.GetRequiredService<IJobTrigger>().Signal("order-submit");      // the inbox is read from the start: oldest first
}

await host.WaitForShutdownAsync();

// The host has stopped: the final Job Status Report, entity sync, and what happened to the orders.
var monitor = host.Services.GetRequiredService<IJobMonitor>();
var entitySync = host.Services.GetRequiredService<IEntitySync>();
Console.WriteLine();
Console.WriteLine(JobStatusReport.Create(monitor, TimeProvider.System).ToText());
var entitySyncTable = new StringBuilder();
StatusBoard.AppendEntitySync(entitySyncTable, entitySync.GetStatuses(), TimeProvider.System.GetUtcNow());
Console.WriteLine(entitySyncTable);
Console.WriteLine($"ERP: {erp.Stats}.");
Console.WriteLine($"Exports: {cart.OrdersExported} submitted orders handed to order-export; {Plural(Directory.Exists(ExportFolder) ? Directory.EnumerateFiles(ExportFolder, "order-export_*.csv").Count() : 0, "CSV file")} in {Path.GetFullPath(ExportFolder)} at exit (kept {ExportRetention(options.Duration).TotalSeconds:0.#} s by cleanup-export-files).");
Console.WriteLine($"Search: {Current(cart.Categories, "categories", "edits")}; {Current(cart.Inventory, "stock levels", "changes")}; {search.ChangesReceived} entity changes received; {search.DocumentCount} product documents indexed.");
var pendingAtExit = await store.CountPendingRecordsAsync("order-submit", CancellationToken.None);
Console.WriteLine($"Summary: {cart.CountOrders()}; in the job store at exit: {pendingAtExit} pending{(pendingAtExit == 0 ? string.Empty : options.Store == SampleStore.Sqlite ? " (the next run delivers them)" : " (lost with the process)")}.");
return 0;

static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

// Whether the search service holds every entity at its latest version ("8 of 8 categories current"); a deleted one must be gone from it.
string Current<T>(EntityTable<T> table, string entities, string changes)
    where T : class
{
    var rows = table.Snapshot();
    var existing = rows.Count(r => r.Kind == EntityChangeKind.Upsert);
    var current = rows.Count(r => r.Kind == EntityChangeKind.Upsert && search.IsCurrent(r));
    var text = $"{current} of {existing} {entities} current after {table.Changes} {changes}";
    var deleted = rows.Where(r => r.Kind == EntityChangeKind.Delete).ToList();
    if (deleted.Count > 0)
    {
        text += $", and deleted {string.Join(", ", deleted.Select(d => d.Id))} {(deleted.All(search.IsCurrent) ? "gone from it" : "STILL IN IT")}";
    }

    // A change published while the host stopped is held by the job store, not delivered (an in-memory store forgets it).
    var pending = entitySync.GetStatus(table.EntityType).Sum(s => s.PendingCount);
    return pending > 0 ? $"{text} ({pending} changes waiting in the job store)" : text;
}

/// <summary>The sample's top-level program.</summary>
internal sealed partial class Program
{
    /// <summary>The SQLite job store's file, in the working directory.</summary>
    private const string DatabaseFile = "storefront-jobs.db";

    /// <summary>The folder the order-export job writes its CSV files to, in the working directory.</summary>
    internal const string ExportFolder = "storefront-exports";

    /// <summary>
    /// How long Cleanup Export Files keeps an export file: a quarter of the run (at least a second), so that the cleanup
    /// run the simulation starts near the end has files to delete. A real host keeps them for weeks.
    /// </summary>
    /// <param name="duration">How long the sample runs.</param>
    /// <returns>The retention.</returns>
    internal static TimeSpan ExportRetention(TimeSpan duration) => TimeSpan.FromTicks(Math.Max(TimeSpan.TicksPerSecond, (duration / 4).Ticks));
}
