using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Commerce.Jobs.Adapters.AzureBlob;

/// <summary>Names a batch's blob: <c>{prefix/}{job}/{yyyy}/{MM}/{dd}/{batch id}.jsonl</c>.</summary>
internal static class BlobNames
{
    /// <summary>Returns the blob name of a batch delivered at <paramref name="utcNow"/>.</summary>
    public static string For(string? prefix, string job, DateTimeOffset utcNow, string batchId)
    {
        var date = utcNow.UtcDateTime.ToString("yyyy'/'MM'/'dd", CultureInfo.InvariantCulture);
        var name = string.Concat(job, "/", date, "/", batchId, ".jsonl");
        return prefix is null ? name : string.Concat(prefix.Trim('/'), "/", name);
    }

    /// <summary>
    /// Returns the batch id: 32 lowercase hex digits (128 bits of SHA-256) over the batch's record idempotency keys, sorted
    /// and length-prefixed, so the same records give the same id on every retry and after a restart, in any order.
    /// </summary>
    /// <remarks>The same hash as the HTTP target's batch <c>Idempotency-Key</c>; it belongs on <see cref="DeliveryBatch{T}"/>.</remarks>
    public static string BatchId<T>(DeliveryBatch<T> batch)
    {
        var keys = new string[batch.Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = batch.GetIdempotencyKey(i);
        }

        Array.Sort(keys, StringComparer.Ordinal);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> length = stackalloc byte[4];
        foreach (var key in keys)
        {
            var bytes = Encoding.UTF8.GetBytes(key);
            BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }

        Span<byte> digest = stackalloc byte[32];
        hash.GetHashAndReset(digest);
        return Convert.ToHexStringLower(digest[..16]);
    }
}
