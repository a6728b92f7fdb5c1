namespace Commerce.Jobs.Definitions;

/// <summary>
/// The job settings that can change at run time (<see cref="DefinitionField{TOptions}"/> of <see cref="JobOptions"/>): each
/// named as in <see cref="JobDefinitionFields"/>, also its configuration key under <c>Jobs:{job name}</c> and its operator-state field.
/// </summary>
internal static class DefinitionField
{
    /// <summary>The longest value a message or a log line repeats.</summary>
    private const int MaxShownLength = 200;

    /// <summary>What owns these settings, in messages.</summary>
    private const string Job = "Job";

    /// <summary>Gets every field, in the order of <see cref="JobDefinitionFields.All"/>.</summary>
    public static IReadOnlyList<DefinitionField<JobOptions>> All { get; } =
    [
        Flag(JobDefinitionFields.RunOnSchedule, o => o.RunOnSchedule, (o, v) => o.RunOnSchedule = v),
        OptionalSpan(JobDefinitionFields.Interval, o => o.Interval, (o, v) => o.Interval = v),
        Text(JobDefinitionFields.DailyAt, o => o.DailyAt, (o, v) => o.DailyAt = v),
        Text(JobDefinitionFields.TimeZone, o => o.TimeZone, (o, v) => o.TimeZone = v),
        Text(JobDefinitionFields.Cron, o => o.Cron, (o, v) => o.Cron = v),
        Number(JobDefinitionFields.CleanupRunsPerDay, o => o.CleanupRunsPerDay, (o, v) => o.CleanupRunsPerDay = v),
        Number(JobDefinitionFields.BatchSize, o => o.BatchSize, (o, v) => o.BatchSize = v),
        OptionalSpan(JobDefinitionFields.MaxAge, o => o.MaxAge, (o, v) => o.MaxAge = v),
        Number(JobDefinitionFields.RetryWindowMaxRetries, o => o.RetryWindow.MaxRetries, (o, v) => o.RetryWindow.MaxRetries = v),
        Span(JobDefinitionFields.RetryWindowWindow, o => o.RetryWindow.Window, (o, v) => o.RetryWindow.Window = v),
        Number(JobDefinitionFields.MaxItemsToSkip, o => o.MaxItemsToSkip, (o, v) => o.MaxItemsToSkip = v),
        Flag(JobDefinitionFields.UpdateStatus, o => o.UpdateStatus, (o, v) => o.UpdateStatus = v),
        Flag(JobDefinitionFields.NotifyOnFailure, o => o.NotifyOnFailure, (o, v) => o.NotifyOnFailure = v),
        Number(JobDefinitionFields.MaxArchivedRuns, o => o.MaxArchivedRuns, (o, v) => o.MaxArchivedRuns = v),
        Span(JobDefinitionFields.HistoryRetention, o => o.HistoryRetention, (o, v) => o.HistoryRetention = v),
        Number(JobDefinitionFields.MaxConcurrency, o => o.MaxConcurrency, (o, v) => o.MaxConcurrency = v),
    ];

    /// <summary>Gets the fields of a schedule: a change of one plans the job's next fire again.</summary>
    public static IReadOnlySet<string> ScheduleFields { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        JobDefinitionFields.RunOnSchedule, JobDefinitionFields.Interval, JobDefinitionFields.DailyAt, JobDefinitionFields.TimeZone,
        JobDefinitionFields.Cron, JobDefinitionFields.CleanupRunsPerDay,
    };

    /// <summary>Finds a field by name (ignoring case); <see langword="null"/> when there is none.</summary>
    public static DefinitionField<JobOptions>? Find(string name) => DefinitionField<JobOptions>.Find(All, name);

    /// <summary>A value from outside as it may be shown in a message or a log: capped (a hostile one may be huge).</summary>
    public static string Shown(string value) => OutsideText.Cap(value, MaxShownLength);

    private static DefinitionField<JobOptions> Flag(string name, Func<JobOptions, bool> get, Action<JobOptions, bool> set) => DefinitionField<JobOptions>.Flag(Job, name, get, set);

    private static DefinitionField<JobOptions> Number(string name, Func<JobOptions, int> get, Action<JobOptions, int> set) => DefinitionField<JobOptions>.Number(Job, name, get, set);

    private static DefinitionField<JobOptions> Span(string name, Func<JobOptions, TimeSpan> get, Action<JobOptions, TimeSpan> set) => DefinitionField<JobOptions>.Span(Job, name, get, set);

    private static DefinitionField<JobOptions> OptionalSpan(string name, Func<JobOptions, TimeSpan?> get, Action<JobOptions, TimeSpan?> set) => DefinitionField<JobOptions>.OptionalSpan(Job, name, get, set);

    private static DefinitionField<JobOptions> Text(string name, Func<JobOptions, string?> get, Action<JobOptions, string?> set) => DefinitionField<JobOptions>.Text(Job, name, get, set);
}
