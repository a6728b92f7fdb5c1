namespace Commerce.Jobs.History;

/// <summary>The default store: run history and record failures in process memory. Nothing survives a restart.</summary>
internal sealed partial class InMemoryJobStore : IJobStore
{
    private readonly Dictionary<string, LinkedList<JobRun>> _runs = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, Dictionary<string, RecordFailure>> _failures = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    public ValueTask AddRunAsync(JobRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);
        lock (_gate)
        {
            if (!_runs.TryGetValue(run.JobName, out var runs))
            {
                _runs[run.JobName] = runs = new();
            }

            runs.AddFirst(run);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<JobRun> result = _runs.TryGetValue(jobName, out var runs) ? [.. runs.Take(maxRuns)] : [];
            return ValueTask.FromResult(result);
        }
    }

    public ValueTask<int> PurgeRunsAsync(string jobName, int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken)
    {
        var removed = 0;
        lock (_gate)
        {
            if (_runs.TryGetValue(jobName, out var runs))
            {
                // Newest first: drop from the tail while there are too many or the tail is too old.
                while (runs.Last is { } last && (runs.Count > keepLast || last.Value.EndedAt < endedBefore))
                {
                    runs.RemoveLast();
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

    public ValueTask<IReadOnlyList<RecordFailure>> GetRecordFailuresAsync(string jobName, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<RecordFailure> result = _failures.TryGetValue(jobName, out var byId) ? [.. byId.Values] : [];
            return ValueTask.FromResult(result);
        }
    }
}
