namespace Commerce.Jobs.Adapters;

/// <summary>How an HTTP target sends a batch.</summary>
public enum HttpTargetMode
{
    /// <summary>One POST per batch: <c>{"job", "idempotencyKey", "records": [...]}</c>, with one <c>Idempotency-Key</c> for the batch.</summary>
    Batch,

    /// <summary>One POST per record: <c>{"job", "id", "idempotencyKey", "record"}</c>, with the record's own <c>Idempotency-Key</c>.</summary>
    PerRecord,

    /// <summary>
    /// One POST per batch in the shape of a search service's bulk ingestion API: <c>{"operations": [{"action", "id",
    /// "idempotencyKey", "document"}]}</c>. An <see cref="EntityChange"/> becomes an <c>upsert</c> of its payload or a
    /// <c>delete</c> of its id; any other record an <c>upsert</c> of the record under its record id. Per-document results
    /// are matched by document id.
    /// </summary>
    Documents,
}
