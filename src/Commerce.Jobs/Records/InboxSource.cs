using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Records;

/// <summary>
/// One run's view of a job's inbox in the store: claims pending records page by page under a lease (reading forward, so a
/// record released in this run is not read again in it), and settles each batch's outcomes back in the store.
/// A stored payload that cannot be read back as a record is quarantined (failed permanently with its error) instead
/// of failing the run; what the run claimed and did not settle is released when it ends.
/// </summary>
internal sealed class InboxSource<T>(string jobName, int pageSize, Func<T, string> recordId, IRecordStore store, EngineIdentity identity, TimeProvider time)
    : IRecordSource<T>, IRecordStatusSink<T>
{
    // Claimed and not yet settled, by record id; an id claimed again in the same run (offered twice) waits in _more, in order.
    private readonly Dictionary<string, long> _claimed = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<RecordFailure> _quarantined = new();
    private Dictionary<string, Queue<long>>? _more;
    private readonly AtomicTimestamp _leaseRenewedAt = new();   // written by the reading task, read by the delivering one

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

            _leaseRenewedAt.Write(now);

            // The whole page is read and tracked before the first record is handed out: a run that stops mid-page still
            // knows every record it claimed, and releases what it did not settle.
            var records = new List<T>(page.Count);
            List<RecordFailure>? quarantine = null;
            List<RecordCompletion>? failed = null;
            lock (_claimed)
            {
                foreach (var pending in page)
                {
                    var (record, error) = Read(pending);
                    if (error is not null)
                    {
                        error = OutsideText.Cap(error);
                        (quarantine ??= []).Add(new RecordFailure(pending.RecordId, RecordStatus.PermanentFailure, error, 0, now));
                        (failed ??= []).Add(new RecordCompletion(pending.Sequence, RecordStatus.PermanentFailure, error));
                        continue;
                    }

                    Track(pending);
                    records.Add(record!);
                }
            }

            after = page[^1].Sequence;
            if (quarantine is not null)
            {
                // Failed in the inbox (kept for a resubmit after a fix), then handed to the run, which counts and records them.
                await store.CompleteRecordsAsync(jobName, identity.Owner, failed!, CancellationToken.None).ConfigureAwait(false);
                quarantine.ForEach(_quarantined.Enqueue);
            }

            foreach (var record in records)
            {
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
                var sequence = Settle(recordId(records.Span[i]));
                var outcome = outcomes.Span[i];
                completions[i] = new RecordCompletion(sequence, outcome.Status, OutsideText.Cap(outcome.Error));
            }
        }

        await store.CompleteRecordsAsync(jobName, identity.Owner, completions, cancellationToken).ConfigureAwait(false);

        // Keep the leases of what this run still holds while it works through a long inbox.
        var now = time.GetUtcNow();
        if (_leaseRenewedAt.Read() is not { } renewedAt || now - renewedAt > identity.LeaseDuration / 2)
        {
            _leaseRenewedAt.Write(now);
            await store.RenewLeasesAsync(jobName, identity.Owner, now + identity.LeaseDuration, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Takes the records quarantined since the last call (already failed in the inbox; the run counts and records them).</summary>
    public List<RecordFailure>? TakeQuarantined()
    {
        List<RecordFailure>? taken = null;
        while (_quarantined.TryDequeue(out var failure))
        {
            (taken ??= []).Add(failure);
        }

        return taken;
    }

    /// <summary>
    /// Releases every record this run claimed and did not settle (its run has returned: it will not attempt them), so the
    /// next run or another host takes them at once; their attempts, error and failed state stay as they were.
    /// </summary>
    public async ValueTask ReleaseAsync(CancellationToken cancellationToken)
    {
        RecordCompletion[] releases;
        lock (_claimed)
        {
            releases = [.. _claimed.Values.Concat(_more?.Values.SelectMany(q => q) ?? []).Select(s => new RecordCompletion(s, RecordStatus.TransientFailure))];
            _claimed.Clear();
            _more = null;
        }

        if (releases.Length > 0)
        {
            await store.CompleteRecordsAsync(jobName, identity.Owner, releases, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Reads a stored payload back as a record with the id it was stored under; or says why it cannot be.</summary>
    private (T? Record, string? Error) Read(PendingRecord pending)
    {
        try
        {
            var record = JsonSerializer.Deserialize<T>(pending.Payload, identity.SerializerOptions);
            if (record is null)
            {
                return (default, $"The stored payload of record {pending.RecordId} reads as null, not as a {typeof(T).Name}.");
            }

            return string.Equals(recordId(record), pending.RecordId, StringComparison.Ordinal)
                ? (record, null)
                : (default, $"The stored payload of record {pending.RecordId} reads as a {typeof(T).Name} with another id.");
        }
        catch (Exception ex)
        {
            return (default, $"The stored payload of record {pending.RecordId} cannot be read as a {typeof(T).Name}: {ex.GetType().Name}: {ex.Message}");
        }
    }

    private void Track(PendingRecord pending)
    {
        if (!_claimed.TryAdd(pending.RecordId, pending.Sequence))
        {
            _more ??= new(StringComparer.Ordinal);
            if (!_more.TryGetValue(pending.RecordId, out var sequences))
            {
                _more[pending.RecordId] = sequences = new();
            }

            sequences.Enqueue(pending.Sequence);
        }
    }

    private long Settle(string id)
    {
        var sequence = _claimed[id];
        if (_more is not null && _more.TryGetValue(id, out var later))
        {
            _claimed[id] = later.Dequeue();
            if (later.Count == 0)
            {
                _more.Remove(id);
            }
        }
        else
        {
            _claimed.Remove(id);
        }

        return sequence;
    }
}
