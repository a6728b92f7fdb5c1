using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Commerce.Jobs.Adapters;

/// <summary>
/// The idempotency key of a whole batch: a hash of its records' idempotency keys, sorted, so the same records give the
/// same key on every retry and after a restart, in whatever order the source read them.
/// </summary>
internal static class BatchIdempotencyKey
{
    /// <summary>Returns <c>{job}:batch:{32 hex digits}</c>, made safe like every key by <see cref="IdempotencyKey.Create"/>.</summary>
    public static string Compute<T>(DeliveryBatch<T> batch) => IdempotencyKey.Create(batch.JobName, string.Concat("batch:", batch.GetBatchId()));

    /// <summary>Appends each key length-prefixed, so no two different lists of keys feed the hash the same bytes.</summary>
    public static void AppendKeys(IncrementalHash hash, IEnumerable<string> keys)
    {
        Span<byte> length = stackalloc byte[4];
        foreach (var key in keys)
        {
            var bytes = Encoding.UTF8.GetBytes(key);
            BinaryPrimitives.WriteInt32LittleEndian(length, bytes.Length);
            hash.AppendData(length);
            hash.AppendData(bytes);
        }
    }
}
