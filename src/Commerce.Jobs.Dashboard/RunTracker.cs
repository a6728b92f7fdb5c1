using System.Collections.Concurrent;

namespace Commerce.Jobs.Dashboard;

/// <summary>
/// The runs this dashboard started that have not been recorded yet, so that a run's address answers "pending" (202)
/// until the run ends, and "gone" (410) when it never will (the job was disabled or the engine stopped first).
/// </summary>
/// <remarks>
/// Pending runs are bounded by the engine (at most 100 waiting per job); runs that never ran are kept for the last
/// <see cref="MaxDropped"/>. A run ends in the history before its handle completes, so nothing is missed in between.
/// </remarks>
internal sealed class RunTracker
{
    private const int MaxDropped = 256;

    private readonly ConcurrentDictionary<Guid, Entry> _runs = new();
    private readonly ConcurrentQueue<Guid> _dropped = new();

    public void Track(JobRunHandle handle)
    {
        _runs[handle.RunId] = new Entry(handle.JobName, null);
        handle.Completion.ContinueWith(
            static (completion, state) =>
            {
                var (tracker, runId, jobName) = ((RunTracker, Guid, string))state!;
                if (completion.IsCompletedSuccessfully)
                {
                    tracker._runs.TryRemove(runId, out _);
                    return;
                }

                var reason = completion.Exception?.InnerException?.Message ?? "The run was cancelled before it started.";
                tracker._runs[runId] = new Entry(jobName, reason);
                tracker._dropped.Enqueue(runId);
                while (tracker._dropped.Count > MaxDropped && tracker._dropped.TryDequeue(out var oldest))
                {
                    tracker._runs.TryRemove(oldest, out _);
                }
            },
            (this, handle.RunId, handle.JobName),
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>Finds a run of <paramref name="jobName"/> this dashboard started and that is not recorded yet.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="runId">The run's id.</param>
    /// <param name="droppedReason">Why the run never ran, or <see langword="null"/> while it is pending.</param>
    /// <returns>Whether the run is pending or was dropped.</returns>
    public bool TryGet(string jobName, Guid runId, out string? droppedReason)
    {
        if (_runs.TryGetValue(runId, out var entry) && string.Equals(entry.JobName, jobName, StringComparison.OrdinalIgnoreCase))
        {
            droppedReason = entry.DroppedReason;
            return true;
        }

        droppedReason = null;
        return false;
    }

    private sealed record Entry(string JobName, string? DroppedReason);
}
