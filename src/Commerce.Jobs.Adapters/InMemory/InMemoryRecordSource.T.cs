using System.Runtime.CompilerServices;

namespace Commerce.Jobs.Adapters;

/// <summary>
/// A record source that behaves like a cart's order table, for tests and samples: records are pending until the job
/// reports them delivered (then they are not read again) or failed permanently (then only a resubmit reads them);
/// skipped records stay pending. Register the same instance as the job's source and status sink.
/// </summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class InMemoryRecordSource<T> : IRecordSource<T>, IRecordStatusSink<T>
{
    private readonly List<Entry> _entries = [];
    private readonly Dictionary<string, Entry> _byId = new(StringComparer.Ordinal);
    private readonly Func<T, string> _recordId;
    private readonly Func<T, DateTimeOffset>? _timestamp;
    private readonly Lock _gate = new();

    /// <summary>Initializes a new instance of the <see cref="InMemoryRecordSource{T}"/> class.</summary>
    /// <param name="recordId">Gives a record's stable id.</param>
    /// <param name="timestamp">Gives a record's creation time, for the job's <c>MaxAge</c>; <see langword="null"/> when records have none.</param>
    public InMemoryRecordSource(Func<T, string> recordId, Func<T, DateTimeOffset>? timestamp = null)
    {
        ArgumentNullException.ThrowIfNull(recordId);
        _recordId = recordId;
        _timestamp = timestamp;
    }

    /// <summary>Gets the number of records pending (never delivered, or skipped).</summary>
    public int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count(e => e.Status is RecordStatus.TransientFailure or RecordStatus.Skipped);
            }
        }
    }

    /// <summary>Adds a pending record; adding an id again replaces its record and makes it pending again.</summary>
    /// <param name="record">The record.</param>
    public void Add(T record)
    {
        var id = _recordId(record);
        lock (_gate)
        {
            if (_byId.TryGetValue(id, out var existing))
            {
                existing.Record = record;
                existing.Status = RecordStatus.TransientFailure;
                return;
            }

            var entry = new Entry(record);
            _entries.Add(entry);
            _byId.Add(id, entry);
        }
    }

    /// <summary>Adds pending records.</summary>
    /// <param name="records">The records.</param>
    public void AddRange(IEnumerable<T> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        foreach (var record in records)
        {
            Add(record);
        }
    }

    /// <summary>Gets a record's status: <see cref="RecordStatus.Delivered"/>, <see cref="RecordStatus.PermanentFailure"/>,
    /// <see cref="RecordStatus.Skipped"/> (tried and pending), or <see cref="RecordStatus.TransientFailure"/> (pending, never reported).</summary>
    /// <param name="recordId">The record's id.</param>
    /// <returns>The status and last error.</returns>
    public RecordOutcome GetStatus(string recordId)
    {
        lock (_gate)
        {
            return _byId.TryGetValue(recordId, out var entry)
                ? new RecordOutcome(entry.Status, entry.Error)
                : throw new KeyNotFoundException($"No record '{recordId}'.");
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<T> ReadAsync(RecordQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        await Task.CompletedTask.ConfigureAwait(false);
        for (var i = 0; ; i++)
        {
            T record;
            lock (_gate)
            {
                if (i >= _entries.Count)
                {
                    yield break;
                }

                var entry = _entries[i];
                var wanted = entry.Status is RecordStatus.TransientFailure or RecordStatus.Skipped
                    || (query.IncludeFailed && entry.Status == RecordStatus.PermanentFailure);
                if (!wanted || (query.NotBefore is { } notBefore && _timestamp is not null && _timestamp(entry.Record) < notBefore))
                {
                    continue;
                }

                record = entry.Record;
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return record;
        }
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
                // A record replaced (Add with the same id) after it was read keeps its new, pending state.
                if (_byId.TryGetValue(_recordId(span[i]), out var entry) && EqualityComparer<T>.Default.Equals(entry.Record, span[i]))
                {
                    entry.Status = results[i].Status;
                    entry.Error = results[i].Error;
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    private sealed class Entry(T record)
    {
        public T Record { get; set; } = record;

        public RecordStatus Status { get; set; } = RecordStatus.TransientFailure;

        public string? Error { get; set; }
    }
}
