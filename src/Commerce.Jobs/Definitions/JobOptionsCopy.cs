namespace Commerce.Jobs.Definitions;

/// <summary>Copies a job's options: the engine never changes an instance it handed out (a run holds the one it started with).</summary>
internal static class JobOptionsCopy
{
    public static JobOptions Clone(JobOptions source)
    {
        var copy = new JobOptions
        {
            Enabled = source.Enabled,
            RunOnSchedule = source.RunOnSchedule,
            Interval = source.Interval,
            IntervalAnchor = source.IntervalAnchor,
            DailyAt = source.DailyAt,
            Cron = source.Cron,
            TimeZone = source.TimeZone,
            Automatic = source.Automatic,
            CleanupRunsPerDay = source.CleanupRunsPerDay,
            After = source.After,
            AfterCondition = source.AfterCondition,
            MaxConcurrency = source.MaxConcurrency,
            NotifyOnEveryRun = source.NotifyOnEveryRun,
            NotifyOnFailure = source.NotifyOnFailure,
            MaxArchivedRuns = source.MaxArchivedRuns,
            HistoryRetention = source.HistoryRetention,
            BatchSize = source.BatchSize,
            MaxItemsToSkip = source.MaxItemsToSkip,
            MaxAge = source.MaxAge,
            UpdateStatus = source.UpdateStatus,
        };
        copy.RetryWindow.MaxRetries = source.RetryWindow.MaxRetries;
        copy.RetryWindow.Window = source.RetryWindow.Window;
        copy.RetryWindow.BaseDelay = source.RetryWindow.BaseDelay;
        return copy;
    }
}
