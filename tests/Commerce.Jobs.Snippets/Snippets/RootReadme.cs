namespace Commerce.Jobs.Snippets.Root;

#region readme-record-job-types
public sealed record Order(string Number, decimal Total) : IRecord { public string RecordId => Number; }

public sealed class ErpOrders(HttpClient http) : IDeliveryTarget<Order>
{
    public async ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Order> batch, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync("orders", batch.Records.ToArray(), ct);
        return (int)response.StatusCode switch
        {
            < 300 => DeliveryResult.Delivered,
            429 or >= 500 => DeliveryResult.TransientFailure($"ERP answered {(int)response.StatusCode}", response.Headers.RetryAfter?.Delta),
            _ => DeliveryResult.PermanentFailure($"ERP rejected the batch: {(int)response.StatusCode}"),
        };
    }
}
#endregion

public sealed class PendingOrders : IRecordSource<Order>
{
    public IAsyncEnumerable<Order> ReadAsync(RecordQuery query, CancellationToken cancellationToken) => AsyncEnumerable.Empty<Order>();
}

public sealed class OrderStatusWriter : IRecordStatusSink<Order>
{
    public ValueTask ReportAsync(string jobName, ReadOnlyMemory<Order> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}

public static class RootReadme
{
    public static async Task QuickStart(WebApplicationBuilder builder, IJobTrigger jobTrigger, IJobRunner jobRunner, string customerId, CancellationToken ct)
    {
        #region readme-quick-start
        builder.Services.AddHttpClient<ErpOrders>(http => http.BaseAddress = new Uri(builder.Configuration["Erp:Url"]!));
        builder.Services.AddCommerceJobs(builder.Configuration.GetSection("CommerceJobs"), jobs =>
        {
            // A record job: pending orders from the cart → batches → the ERP, each order's outcome back to the cart.
            jobs.AddRecordJob<Order>("order-submit")
                .ReadFrom<PendingOrders>(ServiceLifetime.Scoped)  // IRecordSource<Order>: your cart, new for every run
                .DeliverTo<ErpOrders>()                           // IDeliveryTarget<Order>: your ERP (a typed HttpClient, above)
                .ReportStatusTo<OrderStatusWriter>(ServiceLifetime.Scoped) // IRecordStatusSink<Order>: Submitted / ExportFailed
                .Schedule(Schedule.Automatic())                   // runs as soon as an order is signalled
                .Batch(size: 100, maxItemsToSkip: 10, maxAge: TimeSpan.FromDays(30))
                .RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(60));

            // Plain jobs on timed schedules, and one that runs after another.
            jobs.AddJob<ProductRefresh>("product-refresh").Schedule(Schedule.Every(TimeSpan.FromHours(1)));
            jobs.AddJob<RebuildSearchIndex>("rebuild-search-index").Schedule(Schedule.After("product-refresh"));
            jobs.AddJob<PurgeSavedCarts>("purge-carts")
                .Schedule(Schedule.Every(TimeSpan.FromMinutes(30)).Or(Schedule.DailyAt(new TimeOnly(2, 0))));

            jobs.AddJobStatusReport().Schedule(Schedule.Every(TimeSpan.FromMinutes(15)));
            jobs.AddNightlyMaintenance();                          // daily at 02:00 server time: purges old history
            jobs.AddFailureNotifier<EmailAdministrator>();         // IJobFailureNotifier, beside the default (log)
        });

        // storefront, when an order is placed:
        jobTrigger.Signal("order-submit");

        // storefront, when the order-history page opens (an awaited, real-time job):
        var history = await jobRunner.RunAsync("order-history", new { customerId }, TimeSpan.FromSeconds(5), ct);
        #endregion
    }

    public static void Targets(CommerceJobsBuilder jobs, IConfiguration config)
    {
        #region readme-targets
        jobs.AddHttpTarget("erp", http =>
        {
            http.Endpoint = new Uri(config["Erp:Url"]!);
            http.SigningSecret = config["Erp:Secret"];          // HMAC-SHA256 over every body; receivers check it with HttpTargetSignature.Verify
        });
        jobs.AddSearchIngestionTarget("search", s => { s.Endpoint = new Uri(config["Search:BulkUrl"]!); s.ApiKey = config["Search:Key"]; });
        jobs.AddFileExportTarget("reports", f => { f.Folder = "exports"; f.Format = FileExportFormat.Csv; });
        jobs.AddAzureBlobTarget("archive", b => { b.ConnectionString = config["Archive:Blob"]; b.Container = "exports"; });
        jobs.AddKafkaTarget("events", k => { k.BootstrapServers = "kafka:9092"; k.Topic = "catalog-changes"; });
        jobs.AddExportCleanup("cleanup-export-files", "exports", retention: TimeSpan.FromDays(14));

        jobs.ConfigureTarget("erp", t =>                        // or CommerceJobs:Targets:erp in configuration
        {
            t.MaxConcurrency = 4;                               // deliveries in flight to this target, across all jobs
            t.FailureRatio = 0.1;                               // unhealthy under 90 % success...
            t.SamplingDuration = TimeSpan.FromMinutes(2);       // ...over 2 minutes...
            t.BreakDuration = TimeSpan.FromSeconds(30);         // ...then deliveries pause for 30 s
        });
        #endregion
    }

    public static async Task RunningJobs(IRecordInbox inbox, IJobMonitor jobMonitor, IJobRunner jobRunner, IReadOnlyList<Order> orders, IReadOnlyList<string> files, string customerId, CancellationToken ct)
    {
        #region readme-running-jobs
        // an importer: offer the file's orders, then wait until order-submit has sent them (a minute at most)
        await inbox.OfferAsync("order-submit", orders, ct);               // stored, then the automatic job is signalled
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
        patience.CancelAfter(TimeSpan.FromMinutes(1));
        await jobMonitor.WaitForIdleAsync("order-submit", patience.Token);
        Console.WriteLine($"order-submit: {jobMonitor.GetStatus("order-submit").LastRun?.Outcome}");

        // an importer with back-pressure: one run per file, waiting for room when 100 already wait
        foreach (var file in files)
        {
            var run = await jobRunner.EnqueueAsync("price-import", file, ct);
            Console.WriteLine($"{file}: run {run.RunId}");
        }

        // a storefront page: the answer, or the failure as an exception
        try
        {
            var history = await jobRunner.RunAsync("order-history", new { customerId }, TimeSpan.FromSeconds(5), ct);
            Console.WriteLine(history.Value);
        }
        catch (JobRunFailedException failed)
        {
            Console.WriteLine($"Order history unavailable: {failed.Message} (run {failed.RunId})");
        }
        #endregion
    }

    public static async Task JobDefinitions(IJobDefinitions definitions, string user, CancellationToken ct)
    {
        #region readme-job-definitions
        // an admin page: show each setting with where it comes from, then change two of them
        var definition = definitions.Get("product-refresh");
        foreach (var field in definition.Fields)
        {
            Console.WriteLine($"{field.Name} = {field.Value} ({field.Source}; declared: {field.DeclaredValue})");
        }

        try
        {
            await definitions.UpdateAsync(
                "product-refresh",
                new Dictionary<string, string?>
                {
                    [JobDefinitionFields.Interval] = "00:05:00",   // every 5 minutes, counted from now
                    [JobDefinitionFields.BatchSize] = null,        // back to configuration's (or the code's) value
                },
                expectedVersion: definition.Version,               // refused if someone changed it since
                actor: user,
                ct);
        }
        catch (JobDefinitionValidationException invalid)
        {
            Console.WriteLine(string.Join(Environment.NewLine, invalid.Errors));   // "Job 'product-refresh': Interval must be at least 00:00:01 …"
        }
        catch (JobDefinitionConflictException)
        {
            Console.WriteLine("Changed by someone else meanwhile: reload and try again.");
        }

        await definitions.ResetAsync("product-refresh", expectedVersion: null, actor: user, ct);   // every field as declared
        #endregion
    }

    public static async Task EntitySyncUsage(CommerceJobsBuilder jobs, IEntitySync entitySync, IReadOnlyList<Category> changed, CancellationToken ct)
    {
        #region readme-entity-sync
        jobs.AddEntitySync("categories").DeliverTo("search", "erp").ReadFrom<CatalogCategories>();

        await entitySync.PauseAsync("categories", ct);
        foreach (var c in changed) await entitySync.PublishAsync(EntityChange.Upsert("categories", c.Id, c, c.Version), ct);
        await entitySync.ResumeAsync("categories", ct);     // a hundred edits of one category become one delivery
        #endregion
    }

    public static async Task EntitySyncSettings(IEntitySync entitySync, CancellationToken ct)
    {
        #region readme-entity-sync-settings
        var categories = await entitySync.GetConfigurationAsync("categories", ct);   // null settings: as declared
        await entitySync.PutConfigurationAsync(categories! with { BatchSize = 500, MaxRetries = 5, RetryWindow = TimeSpan.FromMinutes(2) }, ct);
        await entitySync.PutConfigurationAsync(categories with { BatchSize = null }, ct);   // back to as declared
        #endregion
    }

    public static void Stores(CommerceJobsBuilder jobs, IConfiguration config)
    {
        #region readme-stores
        jobs.UseSqliteStore("Data Source=jobs.db");                          // embedded, durable: survives a killed process
        jobs.UsePostgreSqlStore(config.GetConnectionString("Jobs")!);        // several hosts of one application
        #endregion
    }

    public static async Task Inbox(CommerceJobsBuilder jobs, IRecordInbox inbox, IReadOnlyList<Shipment> shipments, CancellationToken ct)
    {
        #region readme-inbox
        jobs.AddRecordJob<Shipment>("shipment-upload").ReadFromInbox().DeliverTo("cart").Schedule(Schedule.Automatic());

        await inbox.OfferAsync("shipment-upload", shipments, ct);   // stored, then the job is signalled
        #endregion
    }

    public static void RecordJob(IServiceCollection services, CommerceJobsBuilder jobs)
    {
        #region readme-record-job
        services.AddHttpClient<ErpOrders>(http => http.BaseAddress = new Uri("https://erp.example.com/"));
        jobs.AddRecordJob<Order>("order-submit").ReadFrom<PendingOrders>(ServiceLifetime.Scoped).DeliverTo<ErpOrders>()
            .ReportStatusTo<OrderStatusWriter>(ServiceLifetime.Scoped).Schedule(Schedule.Automatic()).RetryWithin(3, TimeSpan.FromMinutes(1));
        #endregion
    }

    public static void Dashboard(WebApplicationBuilder builder)
    {
        #region readme-dashboard
        builder.Services.AddAntiforgery();
        builder.Services.AddAuthorization(o => o.AddPolicy("jobs-admin", p => p.RequireRole("Administrators")));
        builder.Services.AddHealthChecks().AddCommerceJobs();               // unhealthy: a target's circuit open, or 3 failures in a row

        var app = builder.Build();
        app.MapCommerceJobs("/jobs", dashboard => dashboard.AuthorizationPolicy = "jobs-admin");
        app.MapHealthChecks("/healthz");
        #endregion
    }
}
