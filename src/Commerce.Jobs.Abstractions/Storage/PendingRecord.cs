namespace Commerce.Jobs;

/// <summary>A record waiting in a record job's inbox, serialized.</summary>
/// <param name="RecordId">The record's stable id.</param>
/// <param name="IdempotencyKey">The key a target uses to drop a duplicate; the same on every delivery of this record.</param>
/// <param name="Payload">The record, serialized (JSON, UTF-8).</param>
/// <param name="Sequence">The store's sequence number (0 before it is stored).</param>
/// <param name="Attempts">How many runs have tried the record and not delivered it.</param>
/// <param name="LastError">The last error, if any.</param>
public sealed record PendingRecord(string RecordId, string IdempotencyKey, byte[] Payload, long Sequence = 0, int Attempts = 0, string? LastError = null);
