namespace Commerce.Jobs.Snippets.Packages;

public static class StoresAndTargetsReadmes
{
    public static void AzureBlob(IServiceCollection services, WebApplicationBuilder builder)
    {
        #region azureblob-usage
        services.AddCommerceJobs(jobs =>
        {
            jobs.AddAzureBlobTarget("archive", blob =>
            {
                blob.ConnectionString = builder.Configuration["Storage:ConnectionString"];
                blob.Container = "exports";
                blob.CreateContainer = true;   // needs account-level rights; off by default
            });
            jobs.AddRecordJob<Order>("order-export").ReadFrom<NewOrders>(ServiceLifetime.Scoped).DeliverTo("archive")
                .WithKey(o => o.Number).WithoutStatusUpdates();
            jobs.AddEntitySync("categories").DeliverTo("archive");
        });
        #endregion
    }

    public static void Kafka(IServiceCollection services, WebApplicationBuilder builder)
    {
        #region kafka-usage
        services.AddCommerceJobs(jobs =>
        {
            jobs.AddKafkaTarget("events", kafka =>
            {
                kafka.BootstrapServers = "broker-1:9092,broker-2:9092";
                kafka.Topic = "orders";
                kafka.ProducerSettings["security.protocol"] = "SASL_SSL";
                kafka.ProducerSettings["sasl.mechanism"] = "PLAIN";
                kafka.ProducerSettings["sasl.username"] = builder.Configuration["Kafka:User"]!;
                kafka.ProducerSettings["sasl.password"] = builder.Configuration["Kafka:Password"]!;
            });
            jobs.AddRecordJob<Order>("order-events").ReadFrom<NewOrders>(ServiceLifetime.Scoped).DeliverTo("events").WithKey(o => o.Number);
            jobs.AddEntitySync("inventory").DeliverTo("events");
        });
        #endregion
    }

    public static void PostgreSql(WebApplicationBuilder builder)
    {
        #region postgresql-usage
        builder.Services.AddCommerceJobs(jobs =>
        {
            jobs.UsePostgreSqlStore(builder.Configuration.GetConnectionString("Jobs")!);

            jobs.AddRecordJob<Order>("order-submit")
                .ReadFromInbox()                                 // offered orders are in the database before OfferAsync returns
                .DeliverTo("erp")
                .Schedule(Schedule.Automatic())
                .Batch(100);

            jobs.AddJob<ProductRefresh>("product-refresh").Schedule(Schedule.Every(TimeSpan.FromMinutes(15)));
            jobs.AddNightlyMaintenance();                        // daily at 02:00, on one host only
        });
        #endregion
    }

    public static void PostgreSqlOptions(CommerceJobsBuilder jobs, string connectionString)
    {
        #region postgresql-options
        jobs.UsePostgreSqlStore(connectionString, store =>
        {
            store.Schema = "storefront_jobs";
            store.AutoMigrate = false;
        });
        #endregion
    }

    public static void PostgreSqlScript()
    {
        #region postgresql-script
        File.WriteAllText("commerce_jobs.sql", PostgreSqlStoreMigrations.GetScript("commerce_jobs"));
        // psql "$JOBS_DB" -f commerce_jobs.sql
        #endregion
    }

    public static async Task Sqlite(WebApplicationBuilder builder, IRecordInbox inbox, IReadOnlyList<Shipment> shipments, CancellationToken ct)
    {
        #region sqlite-usage
        builder.Services.AddCommerceJobs(jobs =>
        {
            jobs.UseSqliteStore("Data Source=jobs.db");          // a file under the working directory

            jobs.AddRecordJob<Shipment>("shipment-upload")
                .ReadFromInbox()                                 // offered records are stored in jobs.db before OfferAsync returns
                .DeliverTo("wms")
                .Schedule(Schedule.Automatic())
                .Batch(500);
        });

        // anywhere in the host:
        await inbox.OfferAsync("shipment-upload", shipments, ct);
        #endregion
    }

    public static void SqliteOptions(CommerceJobsBuilder jobs)
    {
        #region sqlite-options
        jobs.UseSqliteStore("Data Source=/var/lib/shop/jobs.db", sqlite =>
        {
            sqlite.AutoMigrate = false;                 // migrations are applied by the deployment (below)
            sqlite.BusyTimeout = TimeSpan.FromSeconds(10);
        });
        #endregion
    }

    public static void SqliteScript()
    {
        #region sqlite-script
        File.WriteAllText("jobs-schema.sql", SqliteStoreSchema.GetMigrationScript());          // from an empty database
        File.WriteAllText("jobs-upgrade.sql", SqliteStoreSchema.GetMigrationScript(fromVersion: 1));
        // sqlite3 jobs.db < jobs-schema.sql
        #endregion
    }

    public static void Dashboard(WebApplicationBuilder builder)
    {
        #region dashboard-usage
        builder.Services.AddCommerceJobs(jobs => { /* jobs, targets, entity sync */ });
        builder.Services.AddAntiforgery();                                   // state changes carry an antiforgery token
        builder.Services.AddAuthorization(o => o.AddPolicy("jobs-admin", p => p.RequireRole("Administrators")));
        builder.Services.AddHealthChecks().AddCommerceJobs(o => o.ConsecutiveFailures = 3);

        var app = builder.Build();
        app.UseAuthentication();
        app.UseAuthorization();
        app.MapCommerceJobs("/jobs", dashboard => dashboard.AuthorizationPolicy = "jobs-admin");
        app.MapHealthChecks("/healthz");
        #endregion
    }

    public static void Engine(WebApplicationBuilder builder)
    {
        #region engine-usage
        builder.Services.AddScoped<PendingOrders>().AddScoped<ErpOrders>().AddScoped<OrderStatusWriter>();  // your adapters
        builder.Services.AddCommerceJobs(builder.Configuration.GetSection("CommerceJobs"), jobs =>
        {
            jobs.AddRecordJob<Order>("order-submit")
                .ReadFrom<PendingOrders>().DeliverTo<ErpOrders>().ReportStatusTo<OrderStatusWriter>()
                .Schedule(Schedule.Automatic())
                .Batch(size: 100, maxItemsToSkip: 10)              // the 11th record not exported (skipped, rejected, quarantined) fails the run
                .RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(60));
            jobs.AddJob<ProductRefresh>("product-refresh").Schedule(Schedule.Every(TimeSpan.FromHours(1)));
            jobs.AddJob<RebuildSearchIndex>("rebuild-search-index").Schedule(Schedule.After("product-refresh"));
        });
        #endregion
    }
}
