namespace Commerce.Jobs;

/// <summary>The names of the job settings that can change at run time (<see cref="IJobDefinitions"/>): their configuration keys under <c>CommerceJobs:Jobs:{job name}</c>.</summary>
public static class JobDefinitionFields
{
    /// <summary>Whether the schedule is on (<c>true</c> / <c>false</c>); off, only manual and on-demand runs start the job.</summary>
    public const string RunOnSchedule = "RunOnSchedule";

    /// <summary>The interval of an interval schedule (<c>00:10:00</c>); empty for none.</summary>
    public const string Interval = "Interval";

    /// <summary>The daily run times, <c>HH:mm</c>, comma-separated; empty for none.</summary>
    public const string DailyAt = "DailyAt";

    /// <summary>The IANA or Windows id of the zone daily times and cron are read in; empty for the server's.</summary>
    public const string TimeZone = "TimeZone";

    /// <summary>A cron expression; empty for none.</summary>
    public const string Cron = "Cron";

    /// <summary>How many cleanup runs an automatic job makes a day (0 to 24).</summary>
    public const string CleanupRunsPerDay = "CleanupRunsPerDay";

    /// <summary>The records a record job delivers per call (1 to 100,000).</summary>
    public const string BatchSize = "BatchSize";

    /// <summary>The age of the oldest record read (<c>7.00:00:00</c>); empty for no limit.</summary>
    public const string MaxAge = "MaxAge";

    /// <summary>The most retries of one batch (0 to 100).</summary>
    public const string RetryWindowMaxRetries = "RetryWindow:MaxRetries";

    /// <summary>The window all retries of a batch must start in (1 second to 1 day).</summary>
    public const string RetryWindowWindow = "RetryWindow:Window";

    /// <summary>How many records a run may fail to export before it fails.</summary>
    public const string MaxItemsToSkip = "MaxItemsToSkip";

    /// <summary>Whether a record job reports each record's outcome to its status sink (<c>true</c> / <c>false</c>).</summary>
    public const string UpdateStatus = "UpdateStatus";

    /// <summary>Whether the failure notifiers are told about the job at all (<c>true</c> / <c>false</c>).</summary>
    public const string NotifyOnFailure = "NotifyOnFailure";

    /// <summary>How many runs the history keeps for the job (1 to 100,000).</summary>
    public const string MaxArchivedRuns = "MaxArchivedRuns";

    /// <summary>How long runs are kept in the history (<c>30.00:00:00</c>).</summary>
    public const string HistoryRetention = "HistoryRetention";

    /// <summary>How many runs of the job may run at once (1 to 1000).</summary>
    public const string MaxConcurrency = "MaxConcurrency";

    /// <summary>Gets every field, in the order a definition lists them.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        RunOnSchedule, Interval, DailyAt, TimeZone, Cron, CleanupRunsPerDay, BatchSize, MaxAge, RetryWindowMaxRetries,
        RetryWindowWindow, MaxItemsToSkip, UpdateStatus, NotifyOnFailure, MaxArchivedRuns, HistoryRetention, MaxConcurrency,
    ];
}
