using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Commerce.Jobs.Records;

/// <summary>
/// One run's view of a job's inbox in the store: claims pending records page by page under a lease (reading forward, so a
/// record released in this run is not read again in it), and settles each batch's outcomes back in the store.
/// </summary>
internal sealed class InboxSource<T>(string jobName, int pageSize, Func<T, string> recordId, IJobStore store, EngineIdentity identity, TimeProvider time)
    : IRecordSource<T>, IRecordStatusSink<T>
{
    private readonly Dictionary<string, Queue<long>> _claimed = new(StringComparer.Ordinal);
    private DateTimeOffset _leaseRenewedAt;

    public async IAsyncEnumerable<T> ReadAsync(RecordQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var after = 0L;
        while (true)
        {
            var now = time.GetUtcNow();
            var claim = new RecordClaim(identity.Owner, pageSize, now, now + identity.LeaseDuration, after, query.IncludeFailed);
            var page = await store.ClaimRecordsAsync(jobName, claim, cancellationToken).ConfigureAwait(false);
            if (page.Count == 0)
            {
                yield break;
            }

            _leaseRenewedAt = now;
            foreach (var pending in page)
            {
                after = pending.Sequence;
                var record = JsonSerializer.Deserialize<T>(pending.Payload, identity.SerializerOptions)!;
                lock (_claimed)
                {
                    if (!_claimed.TryGetValue(pending.RecordId, out var sequences))
                    {
                        _claimed[pending.RecordId] = sequences = new();
                    }

                    sequences.Enqueue(pending.Sequence);
                }

                yield return record;
            }
        }
    }

    public async ValueTask ReportAsync(string jobName, ReadOnlyMemory<T> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken)
    {
        var completions = new RecordCompletion[records.Length];
        lock (_claimed)
        {
            for (var i = 0; i < completions.Length; i++)
            {
                var sequence = _claimed[recordId(records.Span[i])].Dequeue();
                var outcome = outcomes.Span[i];
                completions[i] = new RecordCompletion(sequence, outcome.Status, outcome.Error);
            }
        }

        await store.CompleteRecordsAsync(jobName, identity.Owner, completions, cancellationToken).ConfigureAwait(false);

        // Keep the leases of what this run still holds while it works through a long inbox.
        var now = time.GetUtcNow();
        if (now - _leaseRenewedAt > identity.LeaseDuration / 2)
        {
            _leaseRenewedAt = now;
            await store.RenewLeasesAsync(jobName, identity.Owner, now + identity.LeaseDuration, cancellationToken).ConfigureAwait(false);
        }
    }
}
