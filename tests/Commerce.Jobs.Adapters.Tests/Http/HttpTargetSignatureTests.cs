using System.Security.Cryptography;
using System.Text;
using Commerce.Jobs.Adapters.Tests.TestSupport;
using FsCheck;
using FsCheck.Xunit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.Tests.Http;

public sealed class HttpTargetSignatureTests(KestrelServer server) : IClassFixture<KestrelServer>
{
    private const string Secret = HttpTargetTests.Secret;
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("{\"job\":\"order-submit\",\"records\":[]}");
    private static readonly DateTimeOffset Now = Batches.Start;
    private static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    [Fact]
    public void Create_is_hmac_sha256_over_timestamp_dot_body()
    {
        byte[] message = [.. Encoding.UTF8.GetBytes($"{Now.ToUnixTimeSeconds()}."), .. Body];
        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), message);

        var header = HttpTargetSignature.Create(Secret, Body, Now);

        Assert.Equal($"t={Now.ToUnixTimeSeconds()},v1={Convert.ToHexStringLower(expected)}", header);
        Assert.True(HttpTargetSignature.Verify(Secret, header, Body, Now, Tolerance));
    }

    [Fact]
    public void Verify_rejects_a_changed_body_or_another_secret()
    {
        var header = HttpTargetSignature.Create(Secret, Body, Now);
        var changed = Body.ToArray();
        changed[^2] = (byte)' ';

        Assert.False(HttpTargetSignature.Verify(Secret, header, changed, Now, Tolerance));
        Assert.False(HttpTargetSignature.Verify("another-secret-0123456789", header, Body, Now, Tolerance));
    }

    [Theory]
    [InlineData(-300, true)]
    [InlineData(300, true)]
    [InlineData(-301, false)]
    [InlineData(301, false)]
    [InlineData(-86400, false)]
    public void Verify_accepts_timestamps_only_within_the_tolerance(int ageSeconds, bool accepted)
    {
        var header = HttpTargetSignature.Create(Secret, Body, Now);

        Assert.Equal(accepted, HttpTargetSignature.Verify(Secret, header, Body, Now.AddSeconds(-ageSeconds), Tolerance));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("garbage")]
    [InlineData("v1=00")]
    [InlineData("t=1767600000")]
    [InlineData("t=abc,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=-5,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=99999999999999999999,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=1767600000,t=1767600000,v1=0000000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("t=1767600000,v1=zz00000000000000000000000000000000000000000000000000000000000000")]
    public async Task Verify_rejects_malformed_headers(string? header)
    {
        Assert.False(HttpTargetSignature.Verify(Secret, header, Body, Now, Tolerance));
        Assert.False(HttpTargetSignature.IsFresh(header, Now, Tolerance));
        Assert.False(await HttpTargetSignature.VerifyAsync(Secret, header, new UnreadableStream(), Now, Tolerance, CancellationToken.None));
    }

    [Fact]
    public async Task A_stale_header_is_refused_without_reading_the_body_and_a_fresh_one_is_fresh()
    {
        var header = HttpTargetSignature.Create(Secret, Body, Now);

        Assert.True(HttpTargetSignature.IsFresh(header, Now.AddMinutes(5), Tolerance));
        Assert.False(HttpTargetSignature.IsFresh(header, Now.AddMinutes(5).AddSeconds(1), Tolerance));
        Assert.False(await HttpTargetSignature.VerifyAsync(Secret, header, new UnreadableStream(), Now.AddMinutes(6), Tolerance, CancellationToken.None));
    }

    [Property(MaxTest = 200)]
    public bool VerifyAsync_over_a_stream_read_in_pieces_agrees_with_Verify(byte[] body, byte[]? signedInstead, PositiveInt piece, short ageSeconds)
    {
        var header = HttpTargetSignature.Create(Secret, signedInstead ?? body, Now);
        var now = Now.AddSeconds(ageSeconds);
        using var stream = new PieceStream(body, piece.Get);

        var streamed = HttpTargetSignature.VerifyAsync(Secret, header, stream, now, Tolerance, CancellationToken.None).AsTask().GetAwaiter().GetResult();

        return streamed == HttpTargetSignature.Verify(Secret, header, body, now, Tolerance)
            && (!streamed || stream.Position == body.Length);
    }

    [Fact]
    public void Verify_accepts_any_of_several_signatures_during_a_secret_rotation()
    {
        var old = HttpTargetSignature.Create("the-old-secret-0123456789", Body, Now);
        var current = HttpTargetSignature.Create(Secret, Body, Now);
        var both = $"{current},{old.Split(',')[1]}";

        Assert.True(HttpTargetSignature.Verify("the-old-secret-0123456789", both, Body, Now, Tolerance));
        Assert.True(HttpTargetSignature.Verify(Secret, both, Body, Now, Tolerance));
    }

    [Fact]
    public void Verify_checks_its_arguments()
    {
        Assert.Throws<ArgumentException>(() => HttpTargetSignature.Verify(string.Empty, "t=1,v1=00", Body, Now, Tolerance));
        Assert.Throws<ArgumentOutOfRangeException>(() => HttpTargetSignature.Verify(Secret, "t=1,v1=00", Body, Now, TimeSpan.FromSeconds(-1)));
    }

    [Fact]
    public async Task A_receiver_accepts_the_targets_requests_and_rejects_a_wrong_secret_and_a_replay()
    {
        var time = new FakeTimeProvider(Now);
        var endpoint = server.NewEndpoint(call =>
        {
            var valid = HttpTargetSignature.Verify(Secret, call.Request.Header(HttpTargetSignature.HeaderName), call.Request.Body, time.GetUtcNow(), Tolerance);
            call.Context.Response.StatusCode = valid ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized;
            return Task.CompletedTask;
        });
        HttpTarget Target(string secret) => new("erp", new HttpTargetOptions { Endpoint = endpoint.Uri, SigningSecret = secret }, () => server.Client, time, NullLogger.Instance);

        var genuine = await Target(Secret).DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);
        var forged = await Target("not-the-shared-secret-42").DeliverAsync(Batches.Of(Batches.Orders(2)), CancellationToken.None);

        // An attacker replays the genuine request verbatim ten minutes later.
        time.Advance(TimeSpan.FromMinutes(10));
        var captured = endpoint.Requests[0];
        using var replay = new HttpRequestMessage(HttpMethod.Post, endpoint.Uri) { Content = new ByteArrayContent(captured.Body) };
        replay.Headers.TryAddWithoutValidation(HttpTargetSignature.HeaderName, captured.Header(HttpTargetSignature.HeaderName));
        replay.Headers.TryAddWithoutValidation("Idempotency-Key", captured.Header("Idempotency-Key"));
        using var replayed = await server.Client.SendAsync(replay);

        Assert.Same(DeliveryResult.Delivered, genuine);
        Assert.Equal(RecordStatus.PermanentFailure, forged.BatchStatus);
        Assert.Contains("answered 401", forged.Error, StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, replayed.StatusCode);
        Assert.Equal(3, endpoint.Requests.Count);
    }

    /// <summary>A body that must not be read.</summary>
    private sealed class UnreadableStream : MemoryStream
    {
        public override int Read(byte[] buffer, int offset, int count) => throw new InvalidOperationException("The body was read.");

        public override int Read(Span<byte> buffer) => throw new InvalidOperationException("The body was read.");

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => throw new InvalidOperationException("The body was read.");

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => throw new InvalidOperationException("The body was read.");
    }

    /// <summary>Gives a body at most <c>piece</c> bytes per read, like a network stream.</summary>
    private sealed class PieceStream(byte[] body, int piece) : MemoryStream(body)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
            => base.ReadAsync(buffer[..Math.Min(buffer.Length, piece)], cancellationToken);
    }
}
