using System.Text.Json;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Records;

/// <summary>Serializes offered records into the job's inbox in the store, then signals the job (when its schedule is automatic).</summary>
internal sealed class RecordInbox(JobRegistry registry, IRecordStore store, EngineIdentity identity, JobEngine engine) : IRecordInbox
{
    public async ValueTask OfferAsync<T>(string jobName, IEnumerable<T> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        var definition = registry.Find(jobName) as RecordJobDefinition<T>;
        if (definition is not { Inbox: true })
        {
            throw new ArgumentException($"Job '{jobName}' is not a record job of {typeof(T).Name} that reads from its inbox (ReadFromInbox).", nameof(jobName));
        }

        var recordId = definition.GetRecordId();
        var pending = records.TryGetNonEnumeratedCount(out var count) ? new List<PendingRecord>(count) : [];
        foreach (var record in records)
        {
            var id = recordId(record);
            pending.Add(new PendingRecord(id, IdempotencyKey.Create(definition.Name, id), JsonSerializer.SerializeToUtf8Bytes(record, identity.SerializerOptions)));
        }

        if (pending.Count == 0)
        {
            return;
        }

        await store.EnqueueRecordsAsync(definition.Name, pending, cancellationToken).ConfigureAwait(false);
        engine.SignalIfAutomatic(definition.Name);
    }
}
