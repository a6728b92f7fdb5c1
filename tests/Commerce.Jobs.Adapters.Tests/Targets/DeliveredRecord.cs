namespace Commerce.Jobs.Adapters.Tests.Targets;

/// <summary>One record as it reached the far side of a target, with the idempotency key it came under.</summary>
/// <param name="RecordId">The record's id, read back from what was delivered.</param>
/// <param name="Key">The idempotency key the receiver can drop a duplicate by (a header, a field, a file's hash).</param>
public sealed record DeliveredRecord(string RecordId, string Key);
