namespace Commerce.Jobs.Adapters;

/// <summary>How an HTTP target sends a batch.</summary>
public enum HttpTargetMode
{
    /// <summary>One POST per batch: <c>{"job", "idempotencyKey", "records": [...]}</c>, with one <c>Idempotency-Key</c> for the batch.</summary>
    Batch,

    /// <summary>One POST per record: <c>{"job", "id", "idempotencyKey", "record"}</c>, with the record's own <c>Idempotency-Key</c>.</summary>
    PerRecord,
}
