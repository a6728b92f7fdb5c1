using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.Tests.Http;

/// <summary>
/// <c>RequireCommerceJobsSignature</c> on a receiver's endpoints, on real Kestrel at 127.0.0.1, with requests the HTTP
/// target itself sends: a signed batch reaches the handler with its body intact; anything else is 401 and never does.
/// </summary>
public sealed class SignatureEndpointTests : IAsyncLifetime
{
    private const string Secret = HttpTargetTests.Secret;
    private const int SmallLimit = 1024;

    // The receiver's clock; a sender's clock is set per test.
    private readonly FakeTimeProvider _receiverTime = new(Batches.Start);
    private readonly HttpClient _client = new() { Timeout = Timeout.InfiniteTimeSpan };
    private WebApplication _app = null!;
    private Uri _baseAddress = null!;
    private int _handled;

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(_receiverTime);
        _app = builder.Build();
        _app.Urls.Add("http://127.0.0.1:0");

        // A handler that binds the body as JSON, and one that reads the raw bytes itself.
        _app.MapPost("/hooks/bound", (JsonElement batch) =>
        {
            Interlocked.Increment(ref _handled);
            return Results.Ok(new { job = batch.GetProperty("job").GetString(), records = batch.GetProperty("records").GetArrayLength() });
        }).RequireCommerceJobsSignature(Secret);
        _app.MapPost("/hooks/raw", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref _handled);
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            return Results.Ok(new { sha256 = Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray())) });
        }).RequireCommerceJobsSignature(Secret);
        _app.MapPost("/hooks/small", async (HttpRequest request) =>
        {
            Interlocked.Increment(ref _handled);
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer);
            return Results.Ok(new { length = buffer.Length });
        }).RequireCommerceJobsSignature(Secret, maxBodySize: SmallLimit);

        await _app.StartAsync();
        _baseAddress = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    [Fact]
    public async Task A_batch_the_http_target_signs_reaches_a_handler_that_binds_its_body()
    {
        var result = await Target("/hooks/bound", new FakeTimeProvider(Batches.Start)).DeliverAsync(Batches.Of(Batches.Orders(3)), CancellationToken.None);

        Assert.Same(DeliveryResult.Delivered, result);
        Assert.Equal(1, _handled);
    }

    [Fact]
    public async Task The_handler_reads_the_exact_body_from_its_start_after_the_check()
    {
        var body = Encoding.UTF8.GetBytes("{\"job\":\"order-submit\",\"records\":[{\"id\":\"ü\\u0000\"}]}");

        using var response = await PostAsync("/hooks/raw", body, HttpTargetSignature.Create(Secret, body, Batches.Start));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var answer = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(body)), answer.GetProperty("sha256").GetString());
    }

    [Fact]
    public async Task A_tampered_body_is_refused_with_401_before_the_handler()
    {
        var signed = Encoding.UTF8.GetBytes("{\"job\":\"order-submit\",\"records\":[]}");
        var tampered = Encoding.UTF8.GetBytes("{\"job\":\"order-submit\",\"records\":[1]}");

        using var response = await PostAsync("/hooks/bound", tampered, HttpTargetSignature.Create(Secret, signed, Batches.Start));

        await AssertRefusedAsync(response);
    }

    [Fact]
    public async Task A_signature_older_than_the_tolerance_is_refused_with_401()
    {
        var sent = new FakeTimeProvider(Batches.Start - TimeSpan.FromMinutes(6));

        var result = await Target("/hooks/bound", sent).DeliverAsync(Batches.Of(Batches.Orders(1)), CancellationToken.None);

        Assert.NotSame(DeliveryResult.Delivered, result);
        Assert.Contains("401", result.Error, StringComparison.Ordinal);
        Assert.Equal(0, _handled);
    }

    [Fact]
    public async Task A_request_without_the_header_is_refused_with_401()
    {
        using var response = await PostAsync("/hooks/raw", Encoding.UTF8.GetBytes("{}"), signature: null);

        await AssertRefusedAsync(response);
    }

    [Fact]
    public async Task A_signature_with_another_secret_is_refused_with_401()
    {
        var body = Encoding.UTF8.GetBytes("{\"job\":\"order-submit\",\"records\":[]}");

        using var response = await PostAsync("/hooks/bound", body, HttpTargetSignature.Create("another-secret", body, Batches.Start));

        await AssertRefusedAsync(response);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("stale")]
    [InlineData("t=abc,v1=00")]
    [InlineData("v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("fresh-without-v1")]
    public async Task A_missing_malformed_or_stale_header_is_refused_with_401_before_the_body_is_read(string? header)
    {
        header = header switch
        {
            "stale" => HttpTargetSignature.Create(Secret, "{}"u8, Batches.Start - TimeSpan.FromMinutes(6)),
            "fresh-without-v1" => $"t={Batches.Start.ToUnixTimeSeconds()}",
            _ => header,
        };

        // The client announces a large body, sends its first byte and never the rest: only an answer given without
        // reading the body can arrive.
        using var socket = new System.Net.Sockets.TcpClient();
        await socket.ConnectAsync(_baseAddress.Host, _baseAddress.Port);
        var stream = socket.GetStream();
        var head = $"POST /hooks/raw HTTP/1.1\r\nHost: {_baseAddress.Authority}\r\nContent-Type: application/json\r\nContent-Length: 10000000\r\n"
            + (header is null ? string.Empty : $"{HttpTargetSignature.HeaderName}: {header}\r\n")
            + "\r\n{";
        await stream.WriteAsync(Encoding.Latin1.GetBytes(head));

        var answer = await ReadHeadAsync(stream).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.StartsWith("HTTP/1.1 401", answer, StringComparison.Ordinal);
        Assert.Equal(0, _handled);
    }

    [Fact]
    public async Task A_body_announced_over_the_limit_is_refused_with_413_unread()
    {
        var body = new byte[SmallLimit + 1];

        using var response = await PostAsync("/hooks/small", body, HttpTargetSignature.Create(Secret, body, Batches.Start));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, _handled);
    }

    [Fact]
    public async Task A_chunked_body_over_the_limit_is_refused_with_413_after_at_most_one_byte_past_it()
    {
        var body = new byte[(SmallLimit * 3) + 7];
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseAddress, "/hooks/small")) { Content = new StreamContent(new UnknownLengthStream(body)) };
        request.Headers.TransferEncodingChunked = true;
        request.Headers.TryAddWithoutValidation(HttpTargetSignature.HeaderName, HttpTargetSignature.Create(Secret, body, Batches.Start));

        using var response = await _client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, _handled);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(SmallLimit)]
    public async Task A_signed_body_up_to_the_limit_reaches_the_handler_whole(int length)
    {
        var body = Encoding.ASCII.GetBytes(new string('x', length));

        using var response = await PostAsync("/hooks/small", body, HttpTargetSignature.Create(Secret, body, Batches.Start));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(length, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("length").GetInt64());
        Assert.Equal(1, _handled);
    }

    private static async Task<string> ReadHeadAsync(Stream stream)
    {
        var received = new List<byte>();
        var buffer = new byte[1024];
        while (!Encoding.Latin1.GetString(received.ToArray()).Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer);
            if (read == 0)
            {
                break;
            }

            received.AddRange(buffer.AsSpan(0, read));
        }

        return Encoding.Latin1.GetString(received.ToArray());
    }

    private async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("Signature missing or invalid", problem.GetProperty("title").GetString());
        Assert.Equal(0, _handled);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, byte[] body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseAddress, path)) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (signature is not null)
        {
            request.Headers.TryAddWithoutValidation(HttpTargetSignature.HeaderName, signature);
        }

        return await _client.SendAsync(request).WaitAsync(TimeSpan.FromSeconds(30));
    }

    private HttpTarget Target(string path, TimeProvider senderTime)
    {
        var options = new HttpTargetOptions { Endpoint = new Uri(_baseAddress, path), SigningSecret = Secret, Timeout = TimeSpan.FromSeconds(20) };
        return new HttpTarget("erp", options, () => _client, senderTime, NullLogger.Instance);
    }

    /// <summary>A stream whose length is not known up front, so that the client sends it chunked.</summary>
    private sealed class UnknownLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
