using System.Text.Json;
using System.Text.Json.Serialization;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.Tests.Http;

/// <summary>Hostile ids and payloads through the HTTP target in per-record mode, against a raw TCP listener that rejects nothing.</summary>
public sealed class HttpTargetHostileRecordTests
{
    private const string ApiKey = "ak_live_0123456789abcdef";
    private readonly FakeTimeProvider _time = new(Batches.Start);

    public static readonly string[] HostileIds =
    [
        "s1\r\nX-A: 1\r\n\r\nPOST /smuggled HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n",
        "s1",
        "s1\r\n",
        "s1\n",
        "SO-1\0",
        "\0",
        "Bestellung-Müller-1",
        "注文-42",
        "\uD83D\uDE00",
        "\uD83D",
        "100%",
        "100%25",
        new string('7', 10_000),
        new string('7', 10_001),
        "",
        " ",
        "\t",
        "\u00A0",
    ];

    [Fact]
    public async Task Per_record_mode_sends_exactly_one_request_per_hostile_id_each_with_a_safe_distinct_key()
    {
        await using var server = new RawHttpServer();
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var sut = CreateSut(server, client);
        var orders = HostileIds.Select((id, i) => new Order(id, $"Customer {i}", i)).ToArray();

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Same(DeliveryResult.Delivered, result);
        var requests = server.Requests;
        Assert.Equal(orders.Length, requests.Count);
        Assert.All(requests, r => Assert.Equal($"POST {server.Uri.AbsolutePath} HTTP/1.1", r.RequestLine));
        var keys = requests.Select(r => Assert.Single(r.Header("Idempotency-Key"))).ToList();
        Assert.All(keys, k => Assert.True(k.Length > 0 && k.All(c => c is >= '!' and <= '~'), $"not one line of visible ASCII: {k}"));
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(orders.Select(o => IdempotencyKey.Create(Batches.Job, o.Id)), keys);
        Assert.All(requests, r => Assert.Equal(ApiKey, Assert.Single(r.Header("api-key"))));
        for (var i = 0; i < requests.Count; i++)
        {
            var body = JsonDocument.Parse(requests[i].Body).RootElement;
            // JSON text has no lone surrogate: the body shows U+FFFD, the key keeps the id distinct.
            Assert.Equal(System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(orders[i].Id)), body.GetProperty("id").GetString());
            Assert.Equal(keys[i], body.GetProperty("idempotencyKey").GetString());
            Assert.True(HttpTargetSignature.Verify(HttpTargetTests.Secret, Assert.Single(requests[i].Header(HttpTargetSignature.HeaderName)), requests[i].Body, _time.GetUtcNow(), TimeSpan.FromMinutes(5)));
        }
    }

    [Fact]
    public async Task Per_record_mode_fails_only_the_record_whose_request_cannot_be_built_and_sends_the_others()
    {
        await using var server = new RawHttpServer();
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var lines = new[] { new Line("L-1", "ok"), new Line("L-2\r\n", new Poison()), new Line("L-3", "ok") };
        var batch = new DeliveryBatch<Line>(Batches.Job, lines, l => l.Id, 0);

        var result = await CreateSut(server, client).DeliverAsync(batch, CancellationToken.None);

        Assert.Null(result.BatchStatus);
        var outcomes = result.Outcomes.ToArray();
        Assert.Equal([RecordStatus.Delivered, RecordStatus.PermanentFailure, RecordStatus.Delivered], outcomes.Select(o => o.Status));
        Assert.Equal("HTTP target 'erp': the request for record 'L-2%0D%0A' cannot be built: InvalidOperationException: the payload cannot be written", outcomes[1].Error);
        Assert.Equal(["L-1", "L-3"], server.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("id").GetString()));
    }

    [Fact]
    public async Task Per_record_mode_fails_only_the_record_whose_id_cannot_be_read()
    {
        await using var server = new RawHttpServer();
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var batch = new DeliveryBatch<Line>(Batches.Job, new[] { new Line("L-1", "ok"), new Line("bad", "ok") }, l => l.Id == "bad" ? throw new FormatException("no id") : l.Id, 0);

        var result = await CreateSut(server, client).DeliverAsync(batch, CancellationToken.None);

        Assert.Equal([RecordStatus.Delivered, RecordStatus.PermanentFailure], result.Outcomes.ToArray().Select(o => o.Status));
        Assert.Equal("HTTP target 'erp': the request for record #2 of the batch cannot be built: FormatException: no id", result.Outcomes.Span[1].Error);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task Batch_mode_fails_only_the_record_that_cannot_be_serialized_and_sends_the_others_under_their_own_key()
    {
        await using var server = new RawHttpServer();
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var lines = new[] { new Line("L-1", "ok"), new Line("L-2", new Poison()), new Line("L-3", "ok") };
        var batch = new DeliveryBatch<Line>(Batches.Job, lines, l => l.Id, 0);

        var result = await CreateSut(server, client, HttpTargetMode.Batch).DeliverAsync(batch, CancellationToken.None);

        var outcomes = result.Outcomes.ToArray();
        Assert.Equal([RecordStatus.Delivered, RecordStatus.PermanentFailure, RecordStatus.Delivered], outcomes.Select(o => o.Status));
        Assert.Equal("HTTP target 'erp': record 'L-2' cannot be serialized to JSON: InvalidOperationException: the payload cannot be written", outcomes[1].Error);
        var request = Assert.Single(server.Requests);
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal(["L-1", "L-3"], body.GetProperty("records").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        var sentKey = BatchIdempotencyKey.Compute(new DeliveryBatch<Line>(Batches.Job, new[] { lines[0], lines[2] }, l => l.Id, 0));
        Assert.Equal(sentKey, Assert.Single(request.Header("Idempotency-Key")));
        Assert.Equal(sentKey, body.GetProperty("idempotencyKey").GetString());
    }

    [Fact]
    public async Task Batch_mode_with_only_unserializable_records_fails_permanently_without_a_request()
    {
        await using var server = new RawHttpServer();
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var batch = new DeliveryBatch<Line>(Batches.Job, new[] { new Line("L-1", new Poison()), new Line("L-2", new Poison()) }, l => l.Id, 0);

        var result = await CreateSut(server, client, HttpTargetMode.Batch).DeliverAsync(batch, CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.BatchStatus);
        Assert.Contains("cannot be serialized to JSON: InvalidOperationException", result.Error, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Theory]
    [InlineData(HttpTargetMode.PerRecord)]
    [InlineData(HttpTargetMode.Batch)]
    public async Task An_unbuildable_record_beside_others_the_endpoint_down_refused_is_a_transient_failure_of_the_whole_call(HttpTargetMode mode)
    {
        using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        var options = new HttpTargetOptions { Endpoint = HttpTargetTests.ClosedPort(), SigningSecret = HttpTargetTests.Secret, Mode = mode };
        var sut = new HttpTarget("erp", options, () => client, _time, NullLogger.Instance);
        var lines = new[] { new Line("L-1", "ok"), new Line("L-2", new Poison()), new Line("L-3", "ok") };

        var result = await sut.DeliverAsync(new DeliveryBatch<Line>(Batches.Job, lines, l => l.Id, 0), CancellationToken.None);

        // Nothing reached the endpoint: an outage, which counts for the target's health. The unbuildable record fails
        // alone at the first attempt that reaches the endpoint (the tests above).
        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Contains("the request failed (ConnectionError)", result.Error, StringComparison.Ordinal);
    }

    private HttpTarget CreateSut(RawHttpServer server, HttpClient client, HttpTargetMode mode = HttpTargetMode.PerRecord)
    {
        var options = new HttpTargetOptions
        {
            Endpoint = server.Uri,
            SigningSecret = HttpTargetTests.Secret,
            ApiKey = ApiKey,
            Mode = mode,
            Timeout = TimeSpan.FromSeconds(60),
        };
        return new HttpTarget("erp", options, () => client, _time, NullLogger.Instance);
    }

    public sealed record Line(string Id, object Payload);

    [JsonConverter(typeof(PoisonConverter))]
    public sealed class Poison;

    private sealed class PoisonConverter : JsonConverter<Poison>
    {
        public override Poison Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => throw new NotSupportedException();

        public override void Write(Utf8JsonWriter writer, Poison value, JsonSerializerOptions options) => throw new InvalidOperationException("the payload cannot be written");
    }
}
