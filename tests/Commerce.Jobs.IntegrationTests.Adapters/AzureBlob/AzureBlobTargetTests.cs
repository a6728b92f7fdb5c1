using System.Text.Json;
using Azure.Storage.Blobs;
using Commerce.Jobs.Adapters.AzureBlob;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using Commerce.Jobs.IntegrationTests.Adapters.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.IntegrationTests.Adapters.AzureBlob;

/// <summary>The Azure Blob target against Azurite: blob names, content, idempotent re-upload, container creation, error mapping.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class AzureBlobTargetTests(AzuriteFixture azurite)
{
    private readonly string _container = "exports-" + Guid.NewGuid().ToString("N")[..20];
    private readonly FakeTimeProvider _time = new(Batches.Start);
    private readonly CapturingLoggerProvider _logs = new();

    [Fact]
    public async Task A_batch_becomes_one_JSON_Lines_blob_named_by_job_date_and_batch_id()
    {
        var sut = CreateSut(o =>
        {
            o.BlobPrefix = "/erp/orders/";
            o.CreateContainer = true;
        });
        var orders = Batches.Orders(3);

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        var blob = Assert.Single(await ListAsync());
        Assert.Matches(@"^erp/orders/order-submit/2026/01/05/[0-9a-f]{32}\.jsonl$", blob.Name);
        Assert.Equal("application/x-ndjson", blob.Properties.ContentType);
        Assert.Equal("3", blob.Metadata["records"]);
        Assert.Equal(blob.Name.Split('/')[^1].Split('.')[0], blob.Metadata["batchid"]);
        var lines = (await DownloadAsync(blob.Name)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        var first = JsonDocument.Parse(lines[0]).RootElement;
        Assert.Equal("1001", first.GetProperty("id").GetString());
        Assert.Equal("order-submit:1001", first.GetProperty("idempotencyKey").GetString());
        Assert.Equal("Customer 1", first.GetProperty("record").GetProperty("customer").GetString());
        Assert.Equal(10.5m, first.GetProperty("record").GetProperty("total").GetDecimal());
    }

    [Theory]
    [InlineData("../../other-container/x", "%2E%2E%2F.%2E%2Fother-container%2Fx")]
    [InlineData("..", "%2E%2E")]
    [InlineData("a/b\\c", "a%2Fb%5Cc")]
    [InlineData("Kategorien Ü?#", "Kategorien%20%C3%9C%3F%23")]
    [InlineData("line\r\nbreak", "line%0D%0Abreak")]
    public async Task A_hostile_job_name_is_one_safe_segment_of_the_blob_name(string job, string segment)
    {
        var sut = CreateSut(o =>
        {
            o.BlobPrefix = "erp";
            o.CreateContainer = true;
        });

        var result = await sut.DeliverAsync(new DeliveryBatch<Order>(job, Batches.Orders(1), o => o.Id, 0), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        var blob = Assert.Single(await ListAsync());
        Assert.Equal(segment, NameSegment.Create(job));
        Assert.Matches($@"^erp/{System.Text.RegularExpressions.Regex.Escape(segment)}/2026/01/05/[0-9a-f]{{32}}\.jsonl$", blob.Name);
    }

    [Fact]
    public async Task The_same_batch_delivered_again_overwrites_its_blob_whatever_the_order_or_content()
    {
        var sut = CreateSut(o => o.CreateContainer = true);
        var orders = Batches.Orders(3);
        await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);
        var name = Assert.Single(await ListAsync()).Name;

        _time.Advance(TimeSpan.FromHours(1));
        var changed = orders.Reverse().Select(o => o with { Total = o.Total + 1 }).ToArray();
        var again = await sut.DeliverAsync(Batches.Of(1, changed), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, again.BatchStatus);
        Assert.Equal(name, Assert.Single(await ListAsync()).Name);
        var lines = (await DownloadAsync(name)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Contains(lines, l => JsonDocument.Parse(l).RootElement.GetProperty("record").GetProperty("total").GetDecimal() == 11.5m);
    }

    [Fact]
    public async Task Other_records_and_other_days_make_other_blobs()
    {
        var sut = CreateSut(o => o.CreateContainer = true);

        await sut.DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);
        await sut.DeliverAsync(Batches.Of(Batches.Orders(2, prefix: "20")), CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(1));
        await sut.DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        var names = (await ListAsync()).Select(b => b.Name).ToArray();
        Assert.Equal(3, names.Length);
        Assert.Equal(2, names.Count(n => n.StartsWith("order-submit/2026/01/05/", StringComparison.Ordinal)));
        var nextDay = Assert.Single(names, n => n.StartsWith("order-submit/2026/01/06/", StringComparison.Ordinal));
        Assert.Contains(names, n => n != nextDay && n.EndsWith(nextDay.Split('/')[^1], StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_container_is_created_when_allowed_and_once()
    {
        var sut = CreateSut(o => o.CreateContainer = true);

        Assert.Equal(RecordStatus.Delivered, (await sut.DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None)).BatchStatus);
        Assert.Equal(RecordStatus.Delivered, (await sut.DeliverAsync(Batches.Of(Batches.Orders(1, prefix: "20")), CancellationToken.None)).BatchStatus);

        Assert.True((await azurite.Client.GetBlobContainerClient(_container).ExistsAsync()).Value);
        Assert.Equal(2, (await ListAsync()).Count);
        Assert.Single(_logs.Lines, l => l.Contains($"created the container {_container}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_container_deleted_while_the_target_runs_is_created_again()
    {
        var sut = CreateSut(o => o.CreateContainer = true);
        await sut.DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None);
        await azurite.Client.GetBlobContainerClient(_container).DeleteAsync();

        // Azurite deletes at once; the real service may answer 409 ContainerBeingDeleted for a while (permanent for this batch).
        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(1, prefix: "20")), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.BatchStatus);
        Assert.Single(await ListAsync());
    }

    [Fact]
    public async Task A_missing_container_fails_permanently_when_creation_is_off()
    {
        var sut = CreateSut();

        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.BatchStatus);
        Assert.Contains("answered 404 ContainerNotFound", result.Error, StringComparison.Ordinal);
        Assert.Contains("CreateContainer = true", result.Error, StringComparison.Ordinal);
        Assert.False((await azurite.Client.GetBlobContainerClient(_container).ExistsAsync()).Value);
    }

    [Fact]
    public async Task A_wrong_account_key_is_a_permanent_403_and_the_key_is_not_repeated()
    {
        await azurite.Client.CreateBlobContainerAsync(_container);
        var wrongKey = Convert.ToBase64String(Enumerable.Range(1, 64).Select(i => (byte)i).ToArray());
        var sut = CreateSut(o => o.ConnectionString = azurite.ConnectionStringWith(wrongKey));

        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.BatchStatus);
        Assert.Contains("answered 403", result.Error, StringComparison.Ordinal);
        Assert.Null(result.RetryAfter);
        Assert.DoesNotContain(wrongKey, result.Error, StringComparison.Ordinal);
        Assert.All(_logs.Lines, l => Assert.DoesNotContain(wrongKey, l, StringComparison.Ordinal));
        Assert.Contains(_logs.Lines, l => l.Contains("Azure Blob target archive failed for 2 records", StringComparison.Ordinal));
        Assert.Empty(await ListAsync());
    }

    [Fact]
    public async Task A_closed_port_is_a_transient_network_failure()
    {
        var sut = CreateSut(o => o.ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={AzuriteFixture.AccountName};AccountKey={AzuriteFixture.AccountKey};BlobEndpoint=http://127.0.0.1:{FreePort.Next()}/{AzuriteFixture.AccountName};");

        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Contains("Azure Blob target 'archive': the request to container", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(503, "ServerBusy", "7", 7.0)]
    [InlineData(500, "InternalError", null, null)]
    [InlineData(429, "TooManyRequests", "Wed, 07 Jan 2026 08:00:12 GMT", 12.0)]
    [InlineData(408, "OperationTimedOut", null, null)]
    public async Task Throttling_timeouts_and_server_errors_are_transient_with_the_retry_after_hint(int status, string code, string? retryAfter, double? seconds)
    {
        _time.SetUtcNow(new DateTimeOffset(2026, 1, 7, 8, 0, 0, TimeSpan.Zero));
        await using var server = await FaultServer.StartAsync(retryAfter is null
            ? FaultServer.StorageError(status, code)
            : FaultServer.StorageError(status, code, ("Retry-After", retryAfter)));
        var sut = CreateSut(o => o.ConnectionString = FaultConnectionString(server));

        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Contains($"answered {status} {code}", result.Error, StringComparison.Ordinal);
        Assert.Equal(seconds is null ? null : TimeSpan.FromSeconds(seconds.Value), result.RetryAfter);
        Assert.Single(server.Requests); // the SDK's own retries are off: the job's retry window retries
    }

    [Theory]
    [InlineData(400, "InvalidHeaderValue")]
    [InlineData(409, "LeaseIdMissing")]
    [InlineData(413, "RequestBodyTooLarge")]
    public async Task Other_client_errors_are_permanent(int status, string code)
    {
        await using var server = await FaultServer.StartAsync(FaultServer.StorageError(status, code, ("Retry-After", "5")));
        var sut = CreateSut(o => o.ConnectionString = FaultConnectionString(server));

        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.BatchStatus);
        Assert.Contains($"answered {status} {code}", result.Error, StringComparison.Ordinal);
        Assert.Null(result.RetryAfter);
    }

    [Fact]
    public async Task An_upload_slower_than_the_timeout_is_transient()
    {
        // The server never answers: it holds the request until the client gives up (no timed sleep on either side but the target's own timeout).
        await using var server = await FaultServer.StartAsync(async context =>
        {
            var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = context.RequestAborted.Register(() => aborted.TrySetResult());
            await aborted.Task;
        });
        var sut = CreateSut(o =>
        {
            o.ConnectionString = FaultConnectionString(server);
            o.Timeout = TimeSpan.FromMilliseconds(300);
        }, TimeProvider.System);

        var started = DateTime.UtcNow;
        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromMinutes(1), "the upload should end at the timeout, not hang");
    }

    [Fact]
    public async Task Records_that_cannot_be_serialized_fail_permanently_and_upload_nothing()
    {
        var sut = CreateSut(o => o.CreateContainer = true);

        var result = await sut.DeliverAsync(new DeliveryBatch<Unserializable>("order-submit", new[] { new Unserializable("1", typeof(string)) }, u => u.Id, 0), CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.BatchStatus);
        Assert.Contains("cannot be serialized to JSON", result.Error, StringComparison.Ordinal);
        Assert.Empty(await ListAsync());
    }

    private static string FaultConnectionString(FaultServer server) =>
        $"DefaultEndpointsProtocol=http;AccountName={AzuriteFixture.AccountName};AccountKey={AzuriteFixture.AccountKey};BlobEndpoint={server.BaseAddress}{AzuriteFixture.AccountName};";

    private AzureBlobTarget CreateSut(Action<AzureBlobTargetOptions>? configure = null, TimeProvider? time = null)
    {
        var options = new AzureBlobTargetOptions { ConnectionString = azurite.ConnectionString, Container = _container };
        configure?.Invoke(options);
        var factory = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));
        return new AzureBlobTarget("archive", options, time ?? _time, factory.CreateLogger<AzureBlobTarget>());
    }

    private async Task<List<Azure.Storage.Blobs.Models.BlobItem>> ListAsync()
    {
        var container = azurite.Client.GetBlobContainerClient(_container);
        var blobs = new List<Azure.Storage.Blobs.Models.BlobItem>();
        if (!await container.ExistsAsync())
        {
            return blobs;
        }

        await foreach (var blob in container.GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Traits = Azure.Storage.Blobs.Models.BlobTraits.Metadata }))
        {
            blobs.Add(blob);
        }

        return blobs;
    }

    private async Task<string> DownloadAsync(string name) =>
        (await azurite.Client.GetBlobContainerClient(_container).GetBlobClient(name).DownloadContentAsync()).Value.Content.ToString();
}
