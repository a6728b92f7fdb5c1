using System.Runtime.CompilerServices;

namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>
/// An entity table of the cart with "changed since the last sync" bookkeeping (categories, inventory levels), written
/// as a host would write it over its own database: every change replaces the entity and marks it unsynced; the sync
/// job reads the unsynced entities and marks synced only the version it actually delivered.
/// </summary>
/// <remarks>
/// Edits made between two runs are consolidated: a category edited ten times goes out once, as its latest version.
/// An entity changed while a run was delivering its previous version stays unsynced and goes out on the next run.
/// Stands in for the library's entity sync, which does not exist yet.
/// </remarks>
/// <typeparam name="T">The entity.</typeparam>
public sealed class ChangeFeed<T> : IRecordSource<T>, IRecordStatusSink<T>
    where T : class, IRecord
{
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _changes;

    /// <summary>Gets how many changes were made.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    /// <summary>Gets how many entities have a change not delivered yet.</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _entries.Values.Count(e => !e.Synced && !e.Failed);
            }
        }
    }

    /// <summary>Gets the entities as they are now.</summary>
    public IReadOnlyList<T> Current
    {
        get
        {
            lock (_gate)
            {
                return [.. _entries.Values.Select(e => e.Record)];
            }
        }
    }

    /// <summary>Gets an entity as it is now.</summary>
    /// <param name="id">The entity's id.</param>
    /// <returns>The entity, or <see langword="null"/>.</returns>
    public T? Find(string id)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(id, out var entry) ? entry.Record : null;
        }
    }

    /// <summary>Adds or replaces an entity.</summary>
    /// <param name="record">The entity's new state.</param>
    public void Publish(T record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            Set(record);
        }
    }

    /// <summary>Changes an entity atomically (read, modify, write).</summary>
    /// <param name="id">The entity's id.</param>
    /// <param name="change">Gives the new state from the current one (<see langword="null"/> if there is none).</param>
    /// <returns>The new state.</returns>
    public T Update(string id, Func<T?, T> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            var record = change(_entries.TryGetValue(id, out var entry) ? entry.Record : null);
            Set(record);
            return record;
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<T> ReadAsync(RecordQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        T[] changed;
        lock (_gate)
        {
            changed = [.. _entries.Values.Where(e => !e.Synced && (!e.Failed || query.IncludeFailed)).Select(e => e.Record)];
        }

        foreach (var record in changed)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }

        await Task.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask ReportAsync(string jobName, ReadOnlyMemory<T> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken)
    {
        var span = records.Span;
        var results = outcomes.Span;
        lock (_gate)
        {
            for (var i = 0; i < span.Length; i++)
            {
                // Only the version that was delivered is marked; a newer one stays unsynced.
                if (_entries.TryGetValue(span[i].RecordId, out var entry) && ReferenceEquals(entry.Record, span[i]))
                {
                    entry.Synced = results[i].Status == RecordStatus.Delivered;
                    entry.Failed = results[i].Status == RecordStatus.PermanentFailure;
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    private void Set(T record)
    {
        Interlocked.Increment(ref _changes);
        if (_entries.TryGetValue(record.RecordId, out var entry))
        {
            entry.Record = record;
            entry.Synced = false;
            entry.Failed = false;
        }
        else
        {
            _entries.Add(record.RecordId, new Entry(record));
        }
    }

    private sealed class Entry(T record)
    {
        public T Record { get; set; } = record;

        public bool Synced { get; set; }

        public bool Failed { get; set; }
    }
}
