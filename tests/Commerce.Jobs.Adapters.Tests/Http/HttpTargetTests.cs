using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.Tests.Http;

/// <summary>The HTTP target against a real Kestrel server on 127.0.0.1 that injects failures.</summary>
public sealed class HttpTargetTests(KestrelServer server) : IClassFixture<KestrelServer>
{
    internal const string Secret = "whsec_4f1c2a9e7b3d4c5e8f6a0b1c2d3e4f5a";
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);
    private readonly FakeTimeProvider _time = new(Batches.Start);

    [Fact]
    public async Task Batch_goes_out_as_one_signed_json_post_with_a_batch_idempotency_key()
    {
        var endpoint = server.NewEndpoint();
        var orders = Batches.Orders(3);
        var batch = Batches.Of(orders);

        var result = await CreateSut(endpoint).DeliverAsync(batch, CancellationToken.None);

        Assert.Same(DeliveryResult.Delivered, result);
        var request = Assert.Single(endpoint.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("application/json; charset=utf-8", request.ContentType);
        Assert.Equal(BatchIdempotencyKey.Compute(batch), request.Header("Idempotency-Key"));
        Assert.StartsWith("order-submit:batch:", request.Header("Idempotency-Key"), StringComparison.Ordinal);
        var body = request.Json();
        Assert.Equal("order-submit", body.GetProperty("job").GetString());
        Assert.Equal(request.Header("Idempotency-Key"), body.GetProperty("idempotencyKey").GetString());
        var records = body.GetProperty("records").EnumerateArray().ToArray();
        Assert.Equal(orders.Select(o => o.Id), records.Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(orders.Select(o => $"order-submit:{o.Id}"), records.Select(r => r.GetProperty("idempotencyKey").GetString()));
        Assert.Equal("Customer 2", records[1].GetProperty("record").GetProperty("customer").GetString());
        Assert.Equal(21.0m, records[1].GetProperty("record").GetProperty("total").GetDecimal());
        Assert.True(HttpTargetSignature.Verify(Secret, request.Header(HttpTargetSignature.HeaderName), request.Body, _time.GetUtcNow(), Tolerance));
        Assert.StartsWith($"t={Batches.Start.ToUnixTimeSeconds()},v1=", request.Header(HttpTargetSignature.HeaderName), StringComparison.Ordinal);
    }

    [Fact]
    public void Batch_key_depends_on_the_records_not_their_order()
    {
        var orders = Batches.Orders(4);

        var key = BatchIdempotencyKey.Compute(Batches.Of(orders));

        Assert.Equal(key, BatchIdempotencyKey.Compute(Batches.Of(3, orders.Reverse().ToArray())));
        Assert.NotEqual(key, BatchIdempotencyKey.Compute(Batches.Of(orders[..3])));
        Assert.NotEqual(key, BatchIdempotencyKey.Compute(new DeliveryBatch<Order>("order-export", orders, o => o.Id, 0)));
        Assert.Matches("^order-submit:batch:[0-9a-f]{32}$", key);
    }

    [Fact]
    public async Task A_500_is_transient_and_the_retry_carries_the_same_idempotency_key_and_body()
    {
        var endpoint = server.NewEndpoint(Responses.Sequence(Responses.Status(500, "{\"error\":\"database down\"}"), Responses.Status(200)));
        var sut = CreateSut(endpoint);
        var orders = Batches.Orders(2);

        var first = await sut.DeliverAsync(Batches.Of(0, orders), CancellationToken.None);
        _time.Advance(TimeSpan.FromSeconds(30));
        var retry = await sut.DeliverAsync(Batches.Of(1, orders), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, first.BatchStatus);
        Assert.Contains("answered 500", first.Error, StringComparison.Ordinal);
        Assert.Contains("database down", first.Error, StringComparison.Ordinal);
        Assert.Same(DeliveryResult.Delivered, retry);
        Assert.Equal(2, endpoint.Requests.Count);
        var (a, b) = (endpoint.Requests[0], endpoint.Requests[1]);
        Assert.Equal(a.Header("Idempotency-Key"), b.Header("Idempotency-Key"));
        Assert.Equal(a.Body, b.Body);

        // Each attempt is signed when it is sent.
        Assert.NotEqual(a.Header(HttpTargetSignature.HeaderName), b.Header(HttpTargetSignature.HeaderName));
        Assert.True(HttpTargetSignature.Verify(Secret, b.Header(HttpTargetSignature.HeaderName), b.Body, _time.GetUtcNow(), Tolerance));
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    public async Task Timeouts_throttling_and_server_errors_are_transient(int status)
    {
        var endpoint = server.NewEndpoint(Responses.Status(status));

        var result = await CreateSut(endpoint).DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.StartsWith($"HTTP target 'erp' answered {status}", result.Error, StringComparison.Ordinal);
        Assert.Single(endpoint.Requests);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(401)]
    [InlineData(403)]
    [InlineData(404)]
    [InlineData(409)]
    [InlineData(422)]
    public async Task Other_client_errors_are_permanent_with_the_endpoints_reason(int status)
    {
        var endpoint = server.NewEndpoint(Responses.Status(status, "{\"error\":\"unknown SKU 'X-1'\"}"));

        var result = await CreateSut(endpoint).DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.BatchStatus);
        Assert.Contains($"answered {status}", result.Error, StringComparison.Ordinal);
        Assert.Contains("unknown SKU 'X-1'", result.Error, StringComparison.Ordinal);
        Assert.Null(result.RetryAfter);
        Assert.Single(endpoint.Requests);
    }

    [Fact]
    public async Task A_long_error_body_is_cut_in_the_error()
    {
        var endpoint = server.NewEndpoint(Responses.Status(400, new string('x', 100_000), "text/plain"));

        var result = await CreateSut(endpoint).DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.BatchStatus);
        Assert.InRange(result.Error!.Length, 500, 600);
    }

    [Fact]
    public async Task Retry_After_in_seconds_is_passed_to_the_retry_window()
    {
        var endpoint = server.NewEndpoint(Responses.Status(429, headers: ("Retry-After", "7")));

        var result = await CreateSut(endpoint).DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Equal(TimeSpan.FromSeconds(7), result.RetryAfter);
    }

    [Theory]
    [InlineData(90, 90)]
    [InlineData(-30, 0)]
    public async Task Retry_After_as_an_http_date_is_read_against_the_injected_clock(int offsetSeconds, int expectedSeconds)
    {
        var date = Batches.Start.AddSeconds(offsetSeconds).ToString("R", CultureInfo.InvariantCulture);
        var endpoint = server.NewEndpoint(Responses.Status(503, headers: ("Retry-After", date)));

        var result = await CreateSut(endpoint).DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), result.RetryAfter);
    }

    [Fact]
    public async Task A_slow_answer_past_the_timeout_is_transient()
    {
        // The server answers 200 after 5 minutes unless the client gives up first, which ends the wait at once (the bound
        // below is generous: a busy machine may take seconds to get there, but never minutes).
        var endpoint = server.NewEndpoint(Responses.Slow(TimeSpan.FromMinutes(5)));
        var sut = CreateSut(endpoint, o => o.Timeout = TimeSpan.FromMilliseconds(200), TimeProvider.System);
        var clock = Stopwatch.StartNew();

        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Contains("no complete answer within the timeout of 00:00:00.2", result.Error, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), $"took {clock.Elapsed}");
        Assert.Single(endpoint.Requests);
    }

    [Fact]
    public async Task The_timeout_runs_on_the_injected_clock()
    {
        var endpoint = server.NewEndpoint(Responses.Slow(TimeSpan.FromMinutes(5)));
        var sut = CreateSut(endpoint, o => o.Timeout = TimeSpan.FromSeconds(10));

        var delivery = sut.DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None).AsTask();
        await endpoint.WaitForRequestsAsync(1);
        Assert.False(delivery.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(10));
        var result = await delivery.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Contains("timeout of 00:00:10", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_during_a_request_is_honoured()
    {
        var endpoint = server.NewEndpoint(Responses.Slow(TimeSpan.FromMinutes(5)));
        using var cts = new CancellationTokenSource();

        var delivery = CreateSut(endpoint).DeliverAsync(Batches.Of(Batches.Orders(2)), cts.Token).AsTask();
        await endpoint.WaitForRequestsAsync(1);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => delivery.WaitAsync(TimeSpan.FromMinutes(1)));
    }

    [Fact]
    public async Task A_refused_connection_is_transient()
    {
        var sut = new HttpTarget("erp", new HttpTargetOptions { Endpoint = ClosedPort(), SigningSecret = Secret }, () => server.Client, _time, NullLogger.Instance);

        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Contains("the request failed (ConnectionError)", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Per_record_results_in_the_body_give_each_record_its_outcome()
    {
        const string Body = """
            {"results":[
              {"id":"1001","status":"delivered"},
              {"id":"1002","status":"permanent","error":"unknown SKU 'X-1'"},
              {"id":"1003","status":"transient","error":"order locked"},
              {"id":"1004","status":"PERMANENT"}
            ]}
            """;
        var endpoint = server.NewEndpoint(Responses.Status(207, Body, headers: ("Retry-After", "12")));

        var result = await CreateSut(endpoint).DeliverAsync(Batches.Of(Batches.Orders(4)), CancellationToken.None);

        Assert.Null(result.BatchStatus);
        Assert.Equal(
            [
                RecordOutcome.Delivered,
                RecordOutcome.Permanent("unknown SKU 'X-1'"),
                RecordOutcome.Transient("order locked"),
                RecordOutcome.Permanent("HTTP target 'erp' rejected record '1004'"),
            ],
            result.Outcomes.ToArray());
        Assert.Equal(TimeSpan.FromSeconds(12), result.RetryAfter);
    }

    [Fact]
    public async Task Per_record_results_that_all_say_delivered_are_a_delivered_batch()
    {
        var endpoint = server.NewEndpoint(Responses.Status(200, """{"results":[{"id":"1001","status":"delivered"},{"id":1002,"status":"delivered"}]}"""));

        var result = await CreateSut(endpoint).DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Same(DeliveryResult.Delivered, result);
    }

    [Fact]
    public async Task A_record_without_a_result_or_with_an_unknown_status_stays_transient()
    {
        var endpoint = server.NewEndpoint(Responses.Status(200, """{"results":[{"id":"1001","status":"accepted"},{"id":"9999","status":"delivered"}]}"""));

        var result = await CreateSut(endpoint).DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        var outcomes = result.Outcomes.ToArray();
        Assert.All(outcomes, o => Assert.Equal(RecordStatus.TransientFailure, o.Status));
        Assert.Contains("unknown status 'accepted' for record '1001'", outcomes[0].Error, StringComparison.Ordinal);
        Assert.Contains("without a result for record '1002'", outcomes[1].Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"results\":[{\"id\":\"1001\",", "application/json", "malformed per-record body")]
    [InlineData("{\"results\":{\"1001\":\"delivered\"}}", "application/json", "\"results\" is not an array")]
    [InlineData("{\"results\":[\"1001\"]}", "application/json", "is not an object")]
    [InlineData("{\"results\":[{\"status\":\"delivered\"}]}", "application/problem+json", "has no \"id\"")]
    [InlineData("{\"results\":[{\"id\":true,\"status\":\"delivered\"}]}", "application/json", "has no \"id\"")]
    [InlineData("{\"results\": nope}", "", "malformed per-record body")]
    public async Task A_malformed_per_record_body_fails_the_batch_transiently(string body, string contentType, string expected)
    {
        var endpoint = server.NewEndpoint(Responses.Status(200, body, contentType));

        var result = await CreateSut(endpoint).DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Contains("answered 200 with a malformed per-record body", result.Error, StringComparison.Ordinal);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "application/json")]
    [InlineData("{\"ok\":true}", "application/json")]
    [InlineData("[1,2]", "application/json")]
    [InlineData("OK", "text/plain")]
    [InlineData("{\"results\": not json but not claimed to be}", "text/html")]
    public async Task A_2xx_body_without_results_means_all_delivered(string body, string contentType)
    {
        var endpoint = server.NewEndpoint(Responses.Status(200, body, contentType));

        var result = await CreateSut(endpoint).DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Same(DeliveryResult.Delivered, result);
    }

    [Fact]
    public async Task Per_record_mode_posts_each_record_with_its_own_key()
    {
        var endpoint = server.NewEndpoint(call => Responses.Status(call.Index == 1 ? 422 : 201, "{\"error\":\"bad total\"}")(call));
        var orders = Batches.Orders(3);

        var result = await CreateSut(endpoint, o => o.Mode = HttpTargetMode.PerRecord).DeliverAsync(Batches.Of(orders), CancellationToken.None);

        Assert.Equal(3, endpoint.Requests.Count);
        for (var i = 0; i < 3; i++)
        {
            var request = endpoint.Requests[i];
            var body = request.Json();
            Assert.Equal($"order-submit:{orders[i].Id}", request.Header("Idempotency-Key"));
            Assert.Equal(request.Header("Idempotency-Key"), body.GetProperty("idempotencyKey").GetString());
            Assert.Equal("order-submit", body.GetProperty("job").GetString());
            Assert.Equal(orders[i].Id, body.GetProperty("id").GetString());
            Assert.Equal(orders[i].Customer, body.GetProperty("record").GetProperty("customer").GetString());
            Assert.True(HttpTargetSignature.Verify(Secret, request.Header(HttpTargetSignature.HeaderName), request.Body, _time.GetUtcNow(), Tolerance));
        }

        var outcomes = result.Outcomes.ToArray();
        Assert.Equal([RecordStatus.Delivered, RecordStatus.PermanentFailure, RecordStatus.Delivered], outcomes.Select(o => o.Status));
        Assert.Contains("answered 422", outcomes[1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Per_record_mode_stops_sending_when_the_endpoint_throttles()
    {
        var endpoint = server.NewEndpoint(call => call.Index == 1 ? Responses.Status(429, headers: ("Retry-After", "5"))(call) : Responses.Status(200)(call));

        var result = await CreateSut(endpoint, o => o.Mode = HttpTargetMode.PerRecord).DeliverAsync(Batches.Of(Batches.Orders(4)), CancellationToken.None);

        Assert.Equal(2, endpoint.Requests.Count);
        var outcomes = result.Outcomes.ToArray();
        Assert.Equal([RecordStatus.Delivered, RecordStatus.TransientFailure, RecordStatus.TransientFailure, RecordStatus.TransientFailure], outcomes.Select(o => o.Status));
        Assert.Contains("not sent", outcomes[3].Error, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(5), result.RetryAfter);
    }

    [Fact]
    public async Task Per_record_mode_goes_on_after_one_records_500()
    {
        var endpoint = server.NewEndpoint(call => Responses.Status(call.Index == 0 ? 500 : 200)(call));

        var result = await CreateSut(endpoint, o => o.Mode = HttpTargetMode.PerRecord).DeliverAsync(Batches.Of(Batches.Orders(3)), CancellationToken.None);

        Assert.Equal(3, endpoint.Requests.Count);
        Assert.Equal([RecordStatus.TransientFailure, RecordStatus.Delivered, RecordStatus.Delivered], result.Outcomes.ToArray().Select(o => o.Status));
    }

    [Fact]
    public async Task Per_record_mode_against_a_closed_port_is_a_transient_failure_of_the_whole_call()
    {
        var sut = new HttpTarget("erp", new HttpTargetOptions { Endpoint = ClosedPort(), SigningSecret = Secret, Mode = HttpTargetMode.PerRecord }, () => server.Client, _time, NullLogger.Instance);

        var result = await sut.DeliverAsync(Batches.Of(Batches.Orders(3)), CancellationToken.None);

        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.True(result.Outcomes.IsEmpty);
        Assert.Contains("the request failed (ConnectionError)", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Per_record_mode_with_every_request_throttled_is_a_transient_failure_of_the_whole_call_with_its_retry_after()
    {
        var endpoint = server.NewEndpoint(Responses.Status(429, headers: ("Retry-After", "7")));

        var result = await CreateSut(endpoint, o => o.Mode = HttpTargetMode.PerRecord).DeliverAsync(Batches.Of(Batches.Orders(3)), CancellationToken.None);

        Assert.Single(endpoint.Requests);
        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Contains("answered 429", result.Error, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(7), result.RetryAfter);
    }

    [Fact]
    public async Task Per_record_mode_with_one_record_answered_503_and_the_others_200_keeps_per_record_outcomes()
    {
        var endpoint = server.NewEndpoint(call => Responses.Status(call.Request.Json().GetProperty("id").GetString() == "1002" ? 503 : 200)(call));
        var orders = Batches.Orders(3);

        var first = await CreateSut(endpoint, o => o.Mode = HttpTargetMode.PerRecord).DeliverAsync(Batches.Of(orders), CancellationToken.None);
        var later = await CreateSut(endpoint, o => o.Mode = HttpTargetMode.PerRecord).DeliverAsync(Batches.Of(orders[2], orders[1]), CancellationToken.None);

        Assert.Null(first.BatchStatus);
        Assert.Equal([RecordStatus.Delivered, RecordStatus.TransientFailure, RecordStatus.Delivered], first.Outcomes.ToArray().Select(o => o.Status));
        Assert.Null(later.BatchStatus);
        Assert.Equal([RecordStatus.Delivered, RecordStatus.TransientFailure], later.Outcomes.ToArray().Select(o => o.Status));
        Assert.Contains("answered 503", later.Outcomes.Span[1].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Per_record_mode_a_record_answered_503_first_keeps_no_other_record_from_going_out()
    {
        var endpoint = server.NewEndpoint(call => Responses.Status(call.Request.Json().GetProperty("id").GetString() == "1001" ? 503 : 200)(call));

        var result = await CreateSut(endpoint, o => o.Mode = HttpTargetMode.PerRecord).DeliverAsync(Batches.Of(Batches.Orders(4)), CancellationToken.None);

        Assert.Null(result.BatchStatus);
        Assert.Equal([RecordStatus.TransientFailure, RecordStatus.Delivered, RecordStatus.Delivered, RecordStatus.Delivered], result.Outcomes.ToArray().Select(o => o.Status));
    }

    [Fact]
    public async Task Per_record_mode_stops_asking_after_two_503_answers_in_a_row_and_fails_as_a_whole()
    {
        var endpoint = server.NewEndpoint(Responses.Status(503));

        var result = await CreateSut(endpoint, o => o.Mode = HttpTargetMode.PerRecord).DeliverAsync(Batches.Of(Batches.Orders(5)), CancellationToken.None);

        Assert.Equal(2, endpoint.Requests.Count);
        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
    }

    [Fact]
    public async Task Per_record_mode_with_every_record_answered_500_is_a_transient_failure_of_the_whole_call()
    {
        var endpoint = server.NewEndpoint(Responses.Status(500));

        var result = await CreateSut(endpoint, o => o.Mode = HttpTargetMode.PerRecord).DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        Assert.Equal(2, endpoint.Requests.Count);
        Assert.Equal(RecordStatus.TransientFailure, result.BatchStatus);
        Assert.Contains("answered 500", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_secret_requests_are_not_signed()
    {
        var endpoint = server.NewEndpoint();

        await CreateSut(endpoint, o => o.SigningSecret = null).DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None);

        Assert.Null(Assert.Single(endpoint.Requests).Header(HttpTargetSignature.HeaderName));
    }

    [Fact]
    public async Task Serializer_options_are_honoured()
    {
        var endpoint = server.NewEndpoint();

        await CreateSut(endpoint, o => o.JsonSerializerOptions = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseUpper })
            .DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None);

        var record = Assert.Single(endpoint.Requests).Json().GetProperty("records")[0].GetProperty("record");
        Assert.Equal("Customer 1", record.GetProperty("CUSTOMER").GetString());
    }

    [Fact]
    public async Task A_record_that_cannot_be_serialized_fails_permanently_without_a_request()
    {
        var endpoint = server.NewEndpoint();
        var batch = new DeliveryBatch<Unserializable>("order-submit", new[] { new Unserializable("1", typeof(Order)) }, u => u.Id, 0);

        var result = await CreateSut(endpoint).DeliverAsync(batch, CancellationToken.None);

        Assert.Equal(RecordStatus.PermanentFailure, result.BatchStatus);
        Assert.Contains("cannot be serialized", result.Error, StringComparison.Ordinal);
        Assert.Empty(endpoint.Requests);
    }

    [Fact]
    public async Task The_secret_never_appears_in_errors_or_logs_even_when_the_endpoint_echoes_it()
    {
        var echo = $"{{\"error\":\"signature mismatch for secret {Secret}\"}}";
        var batchEndpoint = server.NewEndpoint(Responses.Sequence(
            Responses.Status(400, echo),
            Responses.Status(503, echo),
            Responses.Status(200, $"{{\"results\":[{{\"id\":\"1001\",\"status\":\"permanent\",\"error\":\"bad {Secret}\"}},{{\"id\":\"1002\",\"status\":\"what {Secret}\"}}]}}"),
            Responses.Status(200, $"{{\"results\":{{\"{Secret}\":1}}}}")));
        var logs = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs).SetMinimumLevel(LogLevel.Trace));
        var sut = CreateSut(batchEndpoint, logger: factory.CreateLogger("HttpTarget"));
        var errors = new List<string?>();

        for (var i = 0; i < 4; i++)
        {
            var result = await sut.DeliverAsync(Batches.Of(i, Batches.Orders(2)), CancellationToken.None);
            errors.Add(result.Error);
            errors.AddRange(result.Outcomes.ToArray().Select(o => o.Error));
        }

        Assert.Equal(4, batchEndpoint.Requests.Count);
        Assert.Contains(errors, e => e is not null && e.Contains("signature mismatch for secret ***", StringComparison.Ordinal));
        Assert.Contains(errors, e => e == "bad ***");
        Assert.All(errors, e => Assert.DoesNotContain(Secret, e ?? string.Empty, StringComparison.Ordinal));
        Assert.NotEmpty(logs.Lines);
        Assert.All(logs.Lines, l => Assert.DoesNotContain(Secret, l, StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_settings_throw_naming_the_target_and_setting_but_not_the_secret()
    {
        var options = new HttpTargetOptions { Endpoint = new Uri("/relative", UriKind.Relative), SigningSecret = "too-short", Timeout = TimeSpan.Zero };

        var ex = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => new HttpTarget("erp", options, () => server.Client, _time, NullLogger.Instance));

        Assert.Contains("HTTP target 'erp': Endpoint must be an absolute http or https URI.", ex.Failures);
        Assert.Contains("HTTP target 'erp': SigningSecret must be at least 16 characters (leave it null to send unsigned requests).", ex.Failures);
        Assert.Contains(ex.Failures, f => f.StartsWith("HTTP target 'erp': Timeout must be between", StringComparison.Ordinal));
        Assert.DoesNotContain("too-short", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>An address on 127.0.0.1 where nothing listens (a port just released), so a connection is refused.</summary>
    internal static Uri ClosedPort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/hooks");
    }

    private HttpTarget CreateSut(TestEndpoint endpoint, Action<HttpTargetOptions>? configure = null, TimeProvider? time = null, ILogger? logger = null)
    {
        var options = new HttpTargetOptions { Endpoint = endpoint.Uri, SigningSecret = Secret, Timeout = TimeSpan.FromSeconds(20) };
        configure?.Invoke(options);
        return new HttpTarget("erp", options, () => server.Client, time ?? _time, logger ?? NullLogger.Instance);
    }
}
