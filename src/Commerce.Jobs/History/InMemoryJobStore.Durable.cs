using Commerce.Jobs.Storage;

namespace Commerce.Jobs.History;

/// <summary>The inbox, occurrence claims and checkpoints, in memory.</summary>
internal sealed partial class InMemoryJobStore
{
    private readonly Dictionary<string, SortedDictionary<long, InboxEntry>> _inbox = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, DateTimeOffset> _occurrences = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _checkpoints = new(StringComparer.OrdinalIgnoreCase);
    private long _sequence;

    public ValueTask EnqueueRecordsAsync(string jobName, IReadOnlyList<PendingRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        lock (_gate)
        {
            if (!_inbox.TryGetValue(jobName, out var inbox))
            {
                _inbox[jobName] = inbox = [];
            }

            foreach (var record in records)
            {
                var sequence = ++_sequence;
                inbox.Add(sequence, new InboxEntry(record with { Sequence = sequence, Attempts = 0, LastError = null }));
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<PendingRecord>> ClaimRecordsAsync(string jobName, RecordClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var claimed = new List<PendingRecord>();
        lock (_gate)
        {
            if (_inbox.TryGetValue(jobName, out var inbox))
            {
                foreach (var (sequence, entry) in inbox)
                {
                    if (claimed.Count >= claim.MaxRecords)
                    {
                        break;
                    }

                    if (sequence <= claim.AfterSequence || (entry.Failed && !claim.IncludeFailed) || (entry.LeaseUntil is { } until && until > claim.Now))
                    {
                        continue;
                    }

                    entry.Owner = claim.Owner;
                    entry.LeaseUntil = claim.LeaseUntil;
                    claimed.Add(entry.Record);
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<PendingRecord>>(claimed);
    }

    public ValueTask CompleteRecordsAsync(string jobName, string owner, IReadOnlyList<RecordCompletion> completions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(completions);
        lock (_gate)
        {
            if (!_inbox.TryGetValue(jobName, out var inbox))
            {
                return ValueTask.CompletedTask;
            }

            foreach (var completion in completions)
            {
                if (!inbox.TryGetValue(completion.Sequence, out var entry))
                {
                    continue;
                }

                if (completion.Status == RecordStatus.Delivered)
                {
                    inbox.Remove(completion.Sequence);
                }
                else if (entry.Owner == owner && completion.Status == RecordStatus.TransientFailure)
                {
                    // Released untouched: only the lease goes.
                    entry.Owner = null;
                    entry.LeaseUntil = null;
                }
                else if (entry.Owner == owner)
                {
                    entry.Record = entry.Record with { Attempts = entry.Record.Attempts + 1, LastError = completion.Error };
                    entry.Failed = completion.Status == RecordStatus.PermanentFailure;
                    entry.Owner = null;
                    entry.LeaseUntil = null;
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<int> RenewLeasesAsync(string jobName, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        var renewed = 0;
        lock (_gate)
        {
            if (_inbox.TryGetValue(jobName, out var inbox))
            {
                foreach (var entry in inbox.Values)
                {
                    if (entry.Owner == owner && entry.LeaseUntil is not null)
                    {
                        entry.LeaseUntil = leaseUntil;
                        renewed++;
                    }
                }
            }
        }

        return ValueTask.FromResult(renewed);
    }

    public ValueTask<long> CountPendingRecordsAsync(string jobName, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_inbox.TryGetValue(jobName, out var inbox) ? (long)inbox.Values.Count(e => !e.Failed) : 0L);
        }
    }

    public ValueTask<bool> TryClaimOccurrenceAsync(string jobName, DateTimeOffset scheduledTime, string owner, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_occurrences.TryGetValue(jobName, out var last) && last >= scheduledTime)
            {
                return ValueTask.FromResult(false);
            }

            _occurrences[jobName] = scheduledTime;
            return ValueTask.FromResult(true);
        }
    }

    public ValueTask<string?> GetCheckpointAsync(string jobName, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult(_checkpoints.GetValueOrDefault(jobName));
        }
    }

    public ValueTask SetCheckpointAsync(string jobName, string? checkpoint, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (checkpoint is null)
            {
                _checkpoints.Remove(jobName);
            }
            else
            {
                _checkpoints[jobName] = checkpoint;
            }
        }

        return ValueTask.CompletedTask;
    }

    private sealed class InboxEntry(PendingRecord record)
    {
        public PendingRecord Record { get; set; } = record;

        public bool Failed { get; set; }

        public string? Owner { get; set; }

        public DateTimeOffset? LeaseUntil { get; set; }
    }
}
