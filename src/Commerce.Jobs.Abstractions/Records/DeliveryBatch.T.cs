using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Commerce.Jobs;

/// <summary>A batch of records handed to a delivery target.</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <remarks>
/// The batch's memory is only valid until <c>DeliverAsync</c> returns: a target that keeps records must copy them.
/// Ids and idempotency keys are computed on request, so a target that does not need them pays nothing.
/// </remarks>
public sealed class DeliveryBatch<T>
{
    private readonly Func<T, string> _recordId;

    /// <summary>Initializes a new instance of the <see cref="DeliveryBatch{T}"/> class.</summary>
    /// <param name="jobName">The job delivering the batch.</param>
    /// <param name="records">The records.</param>
    /// <param name="recordId">Gives a record's stable id.</param>
    /// <param name="attempt">0 for the first delivery of these records, 1 for the first retry, and so on.</param>
    public DeliveryBatch(string jobName, ReadOnlyMemory<T> records, Func<T, string> recordId, int attempt)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobName);
        ArgumentNullException.ThrowIfNull(recordId);
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        JobName = jobName;
        Records = records;
        _recordId = recordId;
        Attempt = attempt;
    }

    /// <summary>Gets the job delivering the batch.</summary>
    public string JobName { get; }

    /// <summary>Gets the records.</summary>
    public ReadOnlyMemory<T> Records { get; }

    /// <summary>Gets the number of records.</summary>
    public int Count => Records.Length;

    /// <summary>Gets the attempt: 0 for the first delivery of these records, 1 for the first retry, and so on.</summary>
    public int Attempt { get; }

    /// <summary>Gets the stable id of the record at <paramref name="index"/>.</summary>
    /// <param name="index">The record's index in the batch.</param>
    /// <returns>The id.</returns>
    public string GetRecordId(int index) => _recordId(Records.Span[index]);

    /// <summary>
    /// Gets the idempotency key of the record at <paramref name="index"/>: <c>{job}:{record id}</c> made safe by
    /// <see cref="IdempotencyKey.Create"/> (one line of visible ASCII, distinct for distinct ids), the same on every retry
    /// and after a restart, so a target can drop a duplicate.
    /// </summary>
    /// <param name="index">The record's index in the batch.</param>
    /// <returns>The key.</returns>
    public string GetIdempotencyKey(int index) => IdempotencyKey.Create(JobName, GetRecordId(index));

    /// <summary>
    /// Gets the batch's id: 32 lowercase hex digits (128 bits of SHA-256) over its records' idempotency keys, sorted and
    /// length-prefixed, so the same records give the same id on every retry and after a restart, in whatever order the
    /// source read them. Batch-wise targets use it for a batch idempotency key or a file or blob name.
    /// </summary>
    /// <returns>The id.</returns>
    public string GetBatchId()
    {
        var keys = new string[Count];
        for (var i = 0; i < keys.Length; i++)
        {
            keys[i] = GetIdempotencyKey(i);
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
