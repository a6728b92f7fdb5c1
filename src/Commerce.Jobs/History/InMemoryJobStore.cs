using System.Collections.Concurrent;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.History;

/// <summary>The default store: run history, record failures and held entity changes in process memory. Nothing survives a restart.</summary>
internal sealed partial class InMemoryJobStore : IJobStore
{
    // One history per job with its own lock: runs of different jobs never contend, and a run costs no list node.
    private readonly ConcurrentDictionary<string, RunHistory> _runs = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Dictionary<string, RecordFailure>> _failures = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    public ValueTask AddRunAsync(JobRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        var history = _runs.GetOrAdd(run.JobName, static _ => new RunHistory());
        lock (history)
        {
            history.AddNewest(run);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken)
    {
        if (!_runs.TryGetValue(jobName, out var history))
        {
            return ValueTask.FromResult<IReadOnlyList<JobRun>>([]);
        }

        lock (history)
        {
            return ValueTask.FromResult<IReadOnlyList<JobRun>>(history.Newest(maxRuns));
        }
    }

    public ValueTask<RunPredecessor> GetPredecessorAsync(string jobName, Guid runId, CancellationToken cancellationToken)
    {
        if (!_runs.TryGetValue(jobName, out var history))
        {
            return default;
        }

        lock (history)
        {
            return ValueTask.FromResult(history.Predecessor(runId));
        }
    }

    public ValueTask<IReadOnlyList<RunPredecessor>> GetPredecessorsAsync(string jobName, IReadOnlyList<Guid> runIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        var predecessors = new RunPredecessor[runIds.Count];
        if (predecessors.Length > 0 && _runs.TryGetValue(jobName, out var history))
        {
            // One lock for all of them: the answers are of one moment of the history.
            lock (history)
            {
                for (var i = 0; i < predecessors.Length; i++)
                {
                    predecessors[i] = history.Predecessor(runIds[i]);
                }
            }
        }

        return ValueTask.FromResult<IReadOnlyList<RunPredecessor>>(predecessors);
    }

    public ValueTask<int> PurgeRunsAsync(string jobName, int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken)
    {
        var removed = 0;
        if (_runs.TryGetValue(jobName, out var history))
        {
            lock (history)
            {
                // Newest first: drop the oldest while there are too many or the oldest is too old.
                while (history.Count > 0 && (history.Count > keepLast || history.Oldest.EndedAt < endedBefore))
                {
                    history.RemoveOldest();
                    removed++;
                }
            }
        }

        return ValueTask.FromResult(removed);
    }

    public ValueTask AddRecordFailuresAsync(string jobName, IReadOnlyList<RecordFailure> failures, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failures);
        lock (_gate)
        {
            if (!_failures.TryGetValue(jobName, out var byId))
            {
                _failures[jobName] = byId = new(StringComparer.Ordinal);
            }

            foreach (var failure in failures)
            {
                var attempts = byId.TryGetValue(failure.RecordId, out var previous) ? previous.Attempts + 1 : 1;
                byId[failure.RecordId] = failure with { Attempts = attempts };
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RemoveRecordFailuresAsync(string jobName, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        lock (_gate)
        {
            if (_failures.TryGetValue(jobName, out var byId))
            {
                foreach (var id in recordIds)
                {
                    byId.Remove(id);
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<RecordFailure>> GetRecordFailuresAsync(string jobName, string? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        lock (_gate)
        {
            if (!_failures.TryGetValue(jobName, out var byId))
            {
                return ValueTask.FromResult<IReadOnlyList<RecordFailure>>([]);
            }

            // Ordinal order of ids; memory holds them all anyway, so a page costs a scan and a sort of what follows.
            IReadOnlyList<RecordFailure> page =
            [
                .. byId.Values.Where(f => after is null || string.CompareOrdinal(f.RecordId, after) > 0)
                    .OrderBy(f => f.RecordId, StringComparer.Ordinal)
                    .Take(limit),
            ];
            return ValueTask.FromResult(page);
        }
    }

    public ValueTask<IReadOnlyList<RecordFailure>> FindRecordFailuresAsync(string jobName, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        lock (_gate)
        {
            if (!_failures.TryGetValue(jobName, out var byId) || byId.Count == 0)
            {
                return ValueTask.FromResult<IReadOnlyList<RecordFailure>>([]);
            }

            var found = new List<RecordFailure>();
            foreach (var id in recordIds.Distinct(StringComparer.Ordinal))
            {
                if (byId.TryGetValue(id, out var failure))
                {
                    found.Add(failure);
                }
            }

            return ValueTask.FromResult<IReadOnlyList<RecordFailure>>(found);
        }
    }
}
