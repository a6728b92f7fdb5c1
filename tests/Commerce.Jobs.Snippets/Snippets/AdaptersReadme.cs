namespace Commerce.Jobs.Snippets.Adapters;

public static class AdaptersReadme
{
    public static void InMemory(IServiceCollection services)
    {
        #region adapters-in-memory
        var orders = new InMemoryRecordSource<Order>(o => o.Number);
        var erp = new InMemoryTarget<Order>();
        services.AddCommerceJobs(jobs => jobs.AddRecordJob<Order>("order-submit")
            .ReadFrom(orders).ReportStatusTo(orders).DeliverTo(erp).WithKey(o => o.Number)
            .Schedule(Schedule.Automatic()));
        #endregion
    }

    public static void HttpTarget(IServiceCollection services, WebApplicationBuilder builder)
    {
        #region adapters-http-target
        services.AddCommerceJobs(jobs =>
        {
            jobs.AddHttpTarget("erp", http =>
            {
                http.Endpoint = new Uri("https://erp.example.com/hooks/orders");
                http.SigningSecret = builder.Configuration["Erp:SigningSecret"]; // at least 16 characters
                http.Mode = HttpTargetMode.Batch;                                  // or PerRecord
                http.Timeout = TimeSpan.FromSeconds(30);
            });
            jobs.AddRecordJob<Order>("order-submit").ReadFrom<PendingOrders>(ServiceLifetime.Scoped).ReportStatusTo<PendingOrders>()
                .DeliverTo("erp").WithKey(o => o.Number)
                .RetryWithin(maxRetries: 5, window: TimeSpan.FromMinutes(2));
        });
        #endregion
    }

    public static void Receiver(WebApplication app, string secret)
    {
        #region adapters-receiver
        app.MapPost("/hooks/orders", (OrderBatch batch, OrderInbox inbox) =>
        {
            var results = batch.Records.Select(r => inbox.TryAdd(r.IdempotencyKey, r.Record) switch
            {
                AddResult.Added or AddResult.Duplicate => new RecordResult(r.Id, "delivered"),
                AddResult.Invalid => new RecordResult(r.Id, "permanent", "invalid order"),
                _ => new RecordResult(r.Id, "transient", "busy"),
            });
            return Results.Json(new { results }, statusCode: StatusCodes.Status207MultiStatus);
        }).RequireCommerceJobsSignature(secret);
        #endregion
    }

    public static int Verify(string secret, string? signatureHeader, byte[] body)
    {
        #region adapters-verify
        if (!HttpTargetSignature.Verify(secret, signatureHeader, body, TimeProvider.System.GetUtcNow(), tolerance: TimeSpan.FromMinutes(5)))
        {
            return 401; // wrong secret, changed body, or older than 5 minutes (a replay)
        }
        #endregion

        return 200;
    }

    public static void FileExport(IServiceCollection services)
    {
        #region adapters-file-export
        services.AddCommerceJobs(jobs =>
        {
            jobs.AddFileExportTarget("reports", files =>
            {
                files.Folder = "/var/exports/orders";
                files.Format = FileExportFormat.Csv; // or JsonLines
            });
            jobs.AddRecordJob<Order>("order-export").ReadFrom<NewOrders>(ServiceLifetime.Scoped).DeliverTo("reports")
                .WithKey(o => o.Number).WithoutStatusUpdates();
            jobs.AddExportCleanup("cleanup-export-files", "/var/exports/orders", retention: TimeSpan.FromDays(30));
        });
        #endregion
    }

    public static void Search(CommerceJobsBuilder jobs, IConfiguration configuration)
    {
        #region adapters-search
        jobs.AddSearchIngestionTarget("search", search =>
        {
            search.Endpoint = new Uri("https://search.example.com/indexes/products/docs/bulk");
            search.ApiKey = configuration["Search:ApiKey"];     // sent as "api-key" (ApiKeyHeader); never logged
        });
        jobs.AddEntitySync("products").DeliverTo("search");
        #endregion
    }

    public static void AspNetCoreUsage(WebApplicationBuilder builder)
    {
        var app = builder.Build();

        #region aspnetcore-usage
        app.MapPost("/hooks/orders", (OrderBatch batch) => Results.Ok())
            .RequireCommerceJobsSignature(builder.Configuration["Erp:SigningSecret"]!);
        #endregion
    }
}

// What the receiver of the samples above keeps: the batch body an HTTP target posts, and an inbox of orders.

public sealed record OrderBatch(string Job, string IdempotencyKey, IReadOnlyList<OrderEntry> Records);

public sealed record OrderEntry(string Id, string IdempotencyKey, Order Record);

public sealed record RecordResult(string Id, string Status, string? Error = null);

public enum AddResult
{
    Added,
    Duplicate,
    Invalid,
    Busy,
}

public sealed class OrderInbox
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Order> _orders = new(StringComparer.Ordinal);

    public AddResult TryAdd(string idempotencyKey, Order order)
        => order.Total < 0 ? AddResult.Invalid : _orders.TryAdd(idempotencyKey, order) ? AddResult.Added : AddResult.Duplicate;
}
