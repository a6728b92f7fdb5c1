using System.Text.Json;

namespace Commerce.Jobs.Adapters;

/// <summary>Entity changes, typed: in <see cref="HttpTargetMode.Documents"/> an upsert of a document becomes an upsert, a delete a delete.</summary>
internal sealed partial class HttpTarget : IDeliveryTarget<EntityChange>
{
    /// <summary>
    /// Delivers a batch of entity changes: in <see cref="HttpTargetMode.Documents"/> one operation per change — an
    /// <c>upsert</c> of its payload as the document with the entity id, or a <c>delete</c> of the entity id — and the
    /// answer's results name changes by entity id; in the other modes each change is a record like any other.
    /// </summary>
    /// <param name="batch">The changes.</param>
    /// <param name="cancellationToken">Cancelled when the delivery stops.</param>
    /// <returns>What became of the batch or of each change.</returns>
    public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<EntityChange> batch, CancellationToken cancellationToken)
        => DeliverAsync(batch, ChangeDocuments.Instance, cancellationToken);

    /// <summary>How a record becomes one operation of a bulk-documents body, and which id the answer's results name it by.</summary>
    private abstract class Documents<T>
    {
        public abstract void Write(HttpTarget target, Utf8JsonWriter writer, string recordId, string key, T record);

        public abstract Func<int, string> Ids(DeliveryBatch<T> batch);
    }

    /// <summary>Any record: an upsert of the record as the document, under its record id.</summary>
    private sealed class RecordDocuments<T> : Documents<T>
    {
        public static readonly RecordDocuments<T> Instance = new();

        public override void Write(HttpTarget target, Utf8JsonWriter writer, string recordId, string key, T record)
        {
            writer.WriteStartObject();
            writer.WriteString("action"u8, "upsert"u8);
            writer.WriteString("id"u8, recordId);
            writer.WriteString("idempotencyKey"u8, key);
            writer.WritePropertyName("document"u8);
            JsonSerializer.Serialize(writer, record, target._json);
            writer.WriteEndObject();
        }

        public override Func<int, string> Ids(DeliveryBatch<T> batch) => batch.GetRecordId;
    }

    /// <summary>An entity change: an upsert of its payload or a delete, under its entity id.</summary>
    private sealed class ChangeDocuments : Documents<EntityChange>
    {
        public static readonly ChangeDocuments Instance = new();

        public override void Write(HttpTarget target, Utf8JsonWriter writer, string recordId, string key, EntityChange record)
        {
            writer.WriteStartObject();
            writer.WriteString("action"u8, record.Kind == EntityChangeKind.Delete ? "delete"u8 : "upsert"u8);
            writer.WriteString("id"u8, record.Id);
            writer.WriteString("idempotencyKey"u8, key);
            if (record.Kind != EntityChangeKind.Delete)
            {
                writer.WritePropertyName("document"u8);
                JsonSerializer.Serialize(writer, record.Payload, target._json);
            }

            writer.WriteEndObject();
        }

        public override Func<int, string> Ids(DeliveryBatch<EntityChange> batch) => i => batch.Records.Span[i].Id;
    }
}
