namespace Commerce.Jobs.Storage;

/// <summary>A record waiting in a record job's inbox, serialized.</summary>
/// <param name="RecordId">The record's stable id.</param>
/// <param name="IdempotencyKey">The key a target uses to drop a duplicate; the same on every delivery of this record.</param>
/// <param name="Payload">The record, serialized (JSON, UTF-8).</param>
/// <param name="Sequence">The store's sequence number (0 before it is stored).</param>
/// <param name="Attempts">How many runs have tried the record and not delivered it.</param>
/// <param name="LastError">The last error, if any.</param>
/// <remarks>
/// Two pending records are equal when all their values are: texts ordinally and the payload by its bytes (not by which
/// array holds them), so a record read back from a store equals the one written.
/// </remarks>
public sealed record PendingRecord(string RecordId, string IdempotencyKey, byte[] Payload, long Sequence = 0, int Attempts = 0, string? LastError = null)
{
    /// <summary>Compares every value: texts ordinally, the payload byte by byte.</summary>
    /// <param name="other">The other record.</param>
    /// <returns><see langword="true"/> when both hold the same values.</returns>
    public bool Equals(PendingRecord? other) =>
        ReferenceEquals(this, other) ||
        (other is not null &&
         Sequence == other.Sequence &&
         Attempts == other.Attempts &&
         string.Equals(RecordId, other.RecordId, StringComparison.Ordinal) &&
         string.Equals(IdempotencyKey, other.IdempotencyKey, StringComparison.Ordinal) &&
         string.Equals(LastError, other.LastError, StringComparison.Ordinal) &&
         Payload.AsSpan().SequenceEqual(other.Payload));

    /// <summary>A hash of every value, the payload's bytes included.</summary>
    /// <returns>The hash.</returns>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(RecordId, StringComparer.Ordinal);
        hash.Add(IdempotencyKey, StringComparer.Ordinal);
        hash.Add(Sequence);
        hash.Add(Attempts);
        hash.Add(LastError, StringComparer.Ordinal);
        hash.AddBytes(Payload);
        return hash.ToHashCode();
    }
}
