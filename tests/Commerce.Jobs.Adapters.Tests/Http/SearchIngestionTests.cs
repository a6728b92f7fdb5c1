using Commerce.Jobs.Adapters.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.Tests.Http;

/// <summary>The HTTP target in bulk-documents mode (search ingestion), against a real Kestrel server on 127.0.0.1.</summary>
public sealed class SearchIngestionTests(KestrelServer server) : IClassFixture<KestrelServer>
{
    private const string ApiKey = "search-key-7d1e2f0a9b8c";
    private readonly FakeTimeProvider _time = new(Batches.Start);

    [Fact]
    public async Task Entity_changes_go_out_as_one_bulk_request_of_upserts_and_deletes_with_the_api_key()
    {
        var endpoint = server.NewEndpoint();
        var changes = new[]
        {
            EntityChange.Upsert("products", "p-1", new { name = "Chair", price = 49.5m }, 3),
            EntityChange.Delete("products", "p-2", 8),
        };

        var result = await CreateSut(endpoint).DeliverAsync(new DeliveryBatch<EntityChange>("products", changes, c => c.RecordId, 0), CancellationToken.None);

        Assert.Same(DeliveryResult.Delivered, result);
        var request = Assert.Single(endpoint.Requests);
        Assert.Equal(ApiKey, request.Header("api-key"));
        var operations = request.Json().GetProperty("operations").EnumerateArray().ToArray();
        Assert.Equal(["upsert", "delete"], operations.Select(o => o.GetProperty("action").GetString()));
        Assert.Equal(["p-1", "p-2"], operations.Select(o => o.GetProperty("id").GetString()));
        Assert.Equal("Chair", operations[0].GetProperty("document").GetProperty("name").GetString());
        Assert.False(operations[1].TryGetProperty("document", out _));
        Assert.Equal("products:p-1:3", operations[0].GetProperty("idempotencyKey").GetString());
    }

    [Fact]
    public async Task Entity_changes_through_the_typed_contract_are_upserts_and_deletes_of_their_entities()
    {
        var endpoint = server.NewEndpoint();
        IDeliveryTarget<EntityChange> sut = CreateSut(endpoint);
        var changes = new[] { EntityChange.Upsert("products", "p-1", new { name = "Chair" }, 3), EntityChange.Delete("products", "p-2", 8) };

        var result = await sut.DeliverAsync(new DeliveryBatch<EntityChange>("products", changes, c => c.RecordId, 0), CancellationToken.None);

        Assert.Same(DeliveryResult.Delivered, result);
        var operations = Assert.Single(endpoint.Requests).Json().GetProperty("operations").EnumerateArray().ToArray();
        Assert.Equal(["upsert", "delete"], operations.Select(o => o.GetProperty("action").GetString()));
        Assert.Equal(["p-1", "p-2"], operations.Select(o => o.GetProperty("id").GetString()));
        Assert.Equal("Chair", operations[0].GetProperty("document").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Through_the_generic_contract_an_entity_change_is_a_record_like_any_other()
    {
        var endpoint = server.NewEndpoint();
        IDeliveryTarget sut = CreateSut(endpoint);
        var changes = new[] { EntityChange.Delete("products", "p-2", 8) };

        await sut.DeliverAsync(new DeliveryBatch<EntityChange>("products", changes, c => c.RecordId, 0), CancellationToken.None);

        var operation = Assert.Single(Assert.Single(endpoint.Requests).Json().GetProperty("operations").EnumerateArray().ToArray());
        Assert.Equal("upsert", operation.GetProperty("action").GetString());
        Assert.Equal(changes[0].RecordId, operation.GetProperty("id").GetString());
        Assert.Equal("p-2", operation.GetProperty("document").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Any_record_is_an_upsert_under_its_record_id()
    {
        var endpoint = server.NewEndpoint();
        var orders = Batches.Orders(2);

        await CreateSut(endpoint).DeliverAsync(Batches.Of(orders), CancellationToken.None);

        var operations = Assert.Single(endpoint.Requests).Json().GetProperty("operations").EnumerateArray().ToArray();
        Assert.All(operations, o => Assert.Equal("upsert", o.GetProperty("action").GetString()));
        Assert.Equal(orders.Select(o => o.Id), operations.Select(o => o.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Per_document_results_are_matched_by_document_id()
    {
        var endpoint = server.NewEndpoint(Responses.Status(207, "{\"results\":[{\"id\":\"p-1\",\"status\":\"delivered\"},{\"id\":\"p-2\",\"status\":\"permanent\",\"error\":\"field 'price' is not a number\"}]}"));
        var changes = new[] { EntityChange.Upsert("products", "p-1", new { }, 1), EntityChange.Upsert("products", "p-2", new { }, 1) };

        var result = await CreateSut(endpoint).DeliverAsync(new DeliveryBatch<EntityChange>("products", changes, c => c.RecordId, 0), CancellationToken.None);

        Assert.Equal(RecordStatus.Delivered, result.GetOutcome(0).Status);
        Assert.Equal(RecordOutcome.Permanent("field 'price' is not a number"), result.GetOutcome(1));
    }

    [Fact]
    public async Task Throttling_is_transient_and_the_api_key_never_shows_in_the_error()
    {
        var endpoint = server.NewEndpoint(Responses.Status(429, $"{{\"error\":\"quota exceeded for key {ApiKey}\"}}", "application/json", ("Retry-After", "12")));

        var result = await CreateSut(endpoint).DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Equal(TimeSpan.FromSeconds(12), result.RetryAfter);
        Assert.DoesNotContain(ApiKey, result.Error, StringComparison.Ordinal);
        Assert.Contains("***", result.Error, StringComparison.Ordinal);
    }

    private HttpTarget CreateSut(TestEndpoint endpoint)
    {
        var options = new HttpTargetOptions { Endpoint = endpoint.Uri, ApiKey = ApiKey, Mode = HttpTargetMode.Documents };
        return new HttpTarget("search", options, () => server.Client, _time, NullLogger.Instance);
    }
}
