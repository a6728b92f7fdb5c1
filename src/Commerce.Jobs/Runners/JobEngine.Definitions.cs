using Commerce.Jobs.Scheduling;

namespace Commerce.Jobs.Runners;

/// <summary>The engine's side of run-time job definitions: new settings put in force for a job.</summary>
internal sealed partial class JobEngine
{
    /// <summary>
    /// Puts validated settings in force for a job at once: a new executor (the next run reads the new batch, retry and
    /// status settings; a run in progress keeps its own), the schedule planned again when <paramref name="scheduleChanged"/>,
    /// and held runs taken when a raised <see cref="JobOptions.MaxConcurrency"/> leaves room.
    /// </summary>
    internal void Redefine(JobEntry entry, JobOptions options, bool scheduleChanged)
    {
        var definition = _registry.Find(entry.Name) ?? throw new InvalidOperationException($"Job '{entry.Name}' is not registered.");
        // The schedule, its next fire and the executor are made first: one that throws leaves the settings in force as they were.
        var schedule = scheduleChanged ? JobSchedule.FromOptions(entry.Name, options) : entry.Schedule;
        var next = scheduleChanged ? schedule.GetNext(_time.GetUtcNow(), _time.LocalTimeZone) : null;
        var executor = definition.CreateExecutor(_services, options);
        entry.Redefine(options, schedule, executor);
        if (scheduleChanged)
        {
            _jobScheduler.Reschedule(entry, next);
        }

        StartWaiting(entry);
    }
}
