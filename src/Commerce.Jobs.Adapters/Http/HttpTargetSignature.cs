using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Commerce.Jobs.Adapters;

/// <summary>
/// Signs and verifies the requests of an HTTP target: header <see cref="HeaderName"/> with value
/// <c>t=&lt;unix seconds&gt;,v1=&lt;hex HMAC-SHA256&gt;</c>, the HMAC computed with the shared secret over
/// the UTF-8 bytes of <c>"{t}."</c> followed by the exact request body.
/// </summary>
/// <remarks>
/// A receiver verifies the raw body bytes, before parsing them, with <see cref="Verify"/> (or <see cref="VerifyAsync"/>
/// over a stream, after <see cref="IsFresh"/> has turned away a missing or stale header unread); the timestamp
/// bounds how long a captured request can be replayed, and the body's <c>idempotencyKey</c> lets the receiver
/// drop a replay inside that window.
/// </remarks>
/// <example>
/// <code>
/// app.MapPost("/commerce-jobs", async (HttpRequest request) =>
/// {
///     using var buffer = new MemoryStream();
///     await request.Body.CopyToAsync(buffer);
///     if (!HttpTargetSignature.Verify(secret, request.Headers[HttpTargetSignature.HeaderName], buffer.ToArray(),
///             TimeProvider.System.GetUtcNow(), TimeSpan.FromMinutes(5)))
///     {
///         return Results.Unauthorized();
///     }
///
///     // parse buffer, drop idempotency keys already seen, process
///     return Results.Ok();
/// });
/// </code>
/// </example>
public static class HttpTargetSignature
{
    /// <summary>The name of the signature header.</summary>
    public const string HeaderName = "X-Commerce-Jobs-Signature";

    private const int HashBytes = 32;

    /// <summary>Creates the signature header's value for <paramref name="body"/> sent at <paramref name="timestamp"/>.</summary>
    /// <param name="secret">The shared secret.</param>
    /// <param name="body">The exact request body.</param>
    /// <param name="timestamp">When the request is sent.</param>
    /// <returns>The header value, <c>t=&lt;unix seconds&gt;,v1=&lt;hex&gt;</c>.</returns>
    public static string Create(string secret, ReadOnlySpan<byte> body, DateTimeOffset timestamp)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        return Create(Encoding.UTF8.GetBytes(secret), body, timestamp);
    }

    /// <summary>
    /// Verifies a request: the header is well formed, its timestamp lies within <paramref name="tolerance"/> of
    /// <paramref name="now"/> (either side), and one of its <c>v1</c> signatures matches <paramref name="body"/> under <paramref name="secret"/>.
    /// </summary>
    /// <param name="secret">The shared secret.</param>
    /// <param name="header">The value of the <see cref="HeaderName"/> header, or <see langword="null"/> when there was none.</param>
    /// <param name="body">The exact request body, as received.</param>
    /// <param name="now">The receiver's clock.</param>
    /// <param name="tolerance">How old (or how far ahead) a timestamp may be; five minutes is usual.</param>
    /// <returns><see langword="true"/> when the request is authentic and fresh.</returns>
    /// <remarks>Signatures are compared in constant time.</remarks>
    public static bool Verify(string secret, string? header, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentOutOfRangeException.ThrowIfLessThan(tolerance, TimeSpan.Zero);
        if (!TryParseFresh(header, now, tolerance, out var seconds, out var signatures))
        {
            return false;
        }

        using var hmac = CreateHmac(Encoding.UTF8.GetBytes(secret), seconds);
        hmac.AppendData(body);
        return Matches(hmac, signatures);
    }

    /// <summary>
    /// Verifies a request whose body is read from <paramref name="body"/> to its end and hashed as it is read, without
    /// a copy; the header is checked first, and a missing, malformed or stale one returns before any byte is read.
    /// </summary>
    /// <param name="secret">The shared secret.</param>
    /// <param name="header">The value of the <see cref="HeaderName"/> header, or <see langword="null"/> when there was none.</param>
    /// <param name="body">The request body, read from its current position to its end (and left there).</param>
    /// <param name="now">The receiver's clock.</param>
    /// <param name="tolerance">How old (or how far ahead) a timestamp may be; five minutes is usual.</param>
    /// <param name="cancellationToken">Stops reading the body.</param>
    /// <returns><see langword="true"/> when the request is authentic and fresh.</returns>
    /// <remarks>Signatures are compared in constant time.</remarks>
    public static async ValueTask<bool> VerifyAsync(string secret, string? header, Stream body, DateTimeOffset now, TimeSpan tolerance, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        ArgumentNullException.ThrowIfNull(body);
        ArgumentOutOfRangeException.ThrowIfLessThan(tolerance, TimeSpan.Zero);
        if (!TryParseFresh(header, now, tolerance, out var seconds, out var signatures))
        {
            return false;
        }

        using var hmac = CreateHmac(Encoding.UTF8.GetBytes(secret), seconds);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                hmac.AppendData(buffer, 0, read);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return Matches(hmac, signatures);
    }

    /// <summary>
    /// Checks the header alone, before the body is read: it is well formed, carries a <c>v1</c> signature, and its
    /// timestamp lies within <paramref name="tolerance"/> of <paramref name="now"/>. Says nothing about the body: a
    /// request that passes still needs <see cref="Verify"/> or <see cref="VerifyAsync"/>.
    /// </summary>
    /// <param name="header">The value of the <see cref="HeaderName"/> header, or <see langword="null"/> when there was none.</param>
    /// <param name="now">The receiver's clock.</param>
    /// <param name="tolerance">How old (or how far ahead) a timestamp may be; five minutes is usual.</param>
    /// <returns><see langword="true"/> when the header may sign a fresh request.</returns>
    public static bool IsFresh(string? header, DateTimeOffset now, TimeSpan tolerance)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tolerance, TimeSpan.Zero);
        return TryParseFresh(header, now, tolerance, out _, out _);
    }

    /// <summary>Reads the header's timestamp and <c>v1</c> signatures; false when it is missing, malformed, has no signature, or its timestamp is outside the window.</summary>
    private static bool TryParseFresh(string? header, DateTimeOffset now, TimeSpan tolerance, out long timestamp, out List<byte[]> signatures)
    {
        timestamp = 0;
        signatures = new List<byte[]>(1);
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        long? seconds = null;
        foreach (var part in header.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return false;
            }

            var key = part.AsSpan(0, equals);
            var value = part.AsSpan(equals + 1);
            if (key.SequenceEqual("t"))
            {
                if (seconds is not null || !long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
                {
                    return false;
                }

                seconds = parsed;
            }
            else if (key.SequenceEqual("v1") && value.Length == HashBytes * 2)
            {
                var bytes = new byte[HashBytes];
                if (Convert.FromHexString(value, bytes, out _, out var written) == OperationStatus.Done && written == HashBytes)
                {
                    signatures.Add(bytes);
                }
            }
        }

        if (seconds is not { } t || signatures.Count == 0)
        {
            return false;
        }

        if (t > DateTimeOffset.MaxValue.ToUnixTimeSeconds() || t < DateTimeOffset.MinValue.ToUnixTimeSeconds())
        {
            return false;
        }

        timestamp = t;
        return (now - DateTimeOffset.FromUnixTimeSeconds(t)).Duration() <= tolerance;
    }

    /// <summary>Whether one of <paramref name="signatures"/> is the hash, compared in constant time.</summary>
    private static bool Matches(IncrementalHash hmac, List<byte[]> signatures)
    {
        Span<byte> expected = stackalloc byte[HashBytes];
        hmac.GetHashAndReset(expected);
        var match = false;
        foreach (var signature in signatures)
        {
            match |= CryptographicOperations.FixedTimeEquals(expected, signature);
        }

        return match;
    }

    /// <summary>Creates the header value with the secret's UTF-8 bytes.</summary>
    internal static string Create(ReadOnlySpan<byte> key, ReadOnlySpan<byte> body, DateTimeOffset timestamp)
    {
        var seconds = timestamp.ToUnixTimeSeconds();
        Span<byte> hash = stackalloc byte[HashBytes];
        Compute(key, seconds, body, hash);
        return string.Create(CultureInfo.InvariantCulture, $"t={seconds},v1={Convert.ToHexStringLower(hash)}");
    }

    /// <summary>Computes HMAC-SHA256(<paramref name="key"/>, <c>"{seconds}."</c> + <paramref name="body"/>).</summary>
    internal static void Compute(ReadOnlySpan<byte> key, long seconds, ReadOnlySpan<byte> body, Span<byte> destination)
    {
        using var hmac = CreateHmac(key, seconds);
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
    }

    /// <summary>Starts HMAC-SHA256(<paramref name="key"/>, ...) over <c>"{seconds}."</c>; the body is appended next.</summary>
    private static IncrementalHash CreateHmac(ReadOnlySpan<byte> key, long seconds)
    {
        var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        Span<byte> prefix = stackalloc byte[24];
        seconds.TryFormat(prefix, out var length, default, CultureInfo.InvariantCulture);
        prefix[length++] = (byte)'.';
        hmac.AppendData(prefix[..length]);
        return hmac;
    }
}
