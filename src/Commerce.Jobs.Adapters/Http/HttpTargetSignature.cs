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
/// A receiver verifies the raw body bytes, before parsing them, with <see cref="Verify"/>; the timestamp
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
        if (string.IsNullOrEmpty(header))
        {
            return false;
        }

        long? seconds = null;
        var signatures = new List<byte[]>(1);
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
                if (Convert.FromHexString(value, bytes, out _, out var written) == System.Buffers.OperationStatus.Done && written == HashBytes)
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

        var age = now - DateTimeOffset.FromUnixTimeSeconds(t);
        if (age.Duration() > tolerance)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HashBytes];
        Compute(Encoding.UTF8.GetBytes(secret), t, body, expected);
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
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
        Span<byte> prefix = stackalloc byte[24];
        seconds.TryFormat(prefix, out var length, default, CultureInfo.InvariantCulture);
        prefix[length++] = (byte)'.';
        hmac.AppendData(prefix[..length]);
        hmac.AppendData(body);
        hmac.GetHashAndReset(destination);
    }
}
