namespace Commerce.Jobs;

/// <summary>
/// The settings of one job, bound from <c>CommerceJobs:Jobs:{job name}</c> in configuration over the values the
/// code declared, so an administrator changes a batch size or a run time without a rebuild.
/// </summary>
/// <remarks>
/// Validated when the host starts; a bad value stops the host with a message naming the job and the setting.
/// The schedule settings combine: a job with both <see cref="Interval"/> and <see cref="DailyAt"/> runs on both.
/// </remarks>
public sealed class JobOptions
{
    /// <summary>Gets or sets a value indicating whether the job runs at all; a disabled job ignores its schedule and refuses manual runs.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool Enabled { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether the job's schedule is on; when off, only manual and on-demand runs start it.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool RunOnSchedule { get; set; } = true;

    /// <summary>Gets or sets the interval of an interval schedule (at least one second).</summary>
    /// <value>The default value is <see langword="null"/> (no interval schedule).</value>
    public TimeSpan? Interval { get; set; }

    /// <summary>Gets or sets the instant intervals count from.</summary>
    /// <value>The default value is <see langword="null"/>: the Unix epoch, so "every hour" fires on the hour.</value>
    public DateTimeOffset? IntervalAnchor { get; set; }

    /// <summary>Gets or sets the daily run times, <c>HH:mm</c>, comma-separated for several (<c>"02:00, 14:00"</c>).</summary>
    /// <value>The default value is <see langword="null"/> (no daily schedule).</value>
    public string? DailyAt { get; set; }

    /// <summary>Gets or sets a cron expression (five fields, or six with seconds).</summary>
    /// <value>The default value is <see langword="null"/> (no cron schedule).</value>
    public string? Cron { get; set; }

    /// <summary>Gets or sets the IANA or Windows id of the zone <see cref="DailyAt"/> and <see cref="Cron"/> are read in.</summary>
    /// <value>The default value is <see langword="null"/>: the server's local zone.</value>
    public string? TimeZone { get; set; }

    /// <summary>Gets or sets a value indicating whether the job runs when the host signals that data is available.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool Automatic { get; set; }

    /// <summary>Gets or sets how many cleanup runs an automatic job makes a day, at jittered times (0 to 24).</summary>
    /// <value>The default value is 2.</value>
    public int CleanupRunsPerDay { get; set; } = JobDefaults.CleanupRunsPerDay;

    /// <summary>Gets or sets the job(s) this job runs after, comma-separated.</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? After { get; set; }

    /// <summary>Gets or sets on which outcomes of <see cref="After"/> this job runs.</summary>
    /// <value>The default value is <see cref="AfterCondition.Success"/>.</value>
    public AfterCondition AfterCondition { get; set; }

    /// <summary>Gets or sets how many runs of the job may run at once (1 to 1000). Triggers beyond it are coalesced into one follow-up run.</summary>
    /// <value>The default value is 1.</value>
    public int MaxConcurrency { get; set; } = 1;

    /// <summary>Gets or sets a value indicating whether the failure notifiers are told about every run, not only failed ones.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool NotifyOnEveryRun { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the failure notifiers are told about the job at all: its failed runs, its
    /// recovery, and (with <see cref="NotifyOnEveryRun"/>) every run. Off, no notifier hears of the job; its runs are
    /// still logged and kept in the history.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool NotifyOnFailure { get; set; } = true;

    /// <summary>Gets or sets how many runs (with their logs) the history keeps for the job ("maximum archived log files"; 1 to 100,000).</summary>
    /// <value>The default value is 50.</value>
    public int MaxArchivedRuns { get; set; } = JobDefaults.MaxArchivedRuns;

    /// <summary>Gets or sets how long runs are kept in the history before nightly maintenance purges them.</summary>
    /// <value>The default value is 30 days.</value>
    public TimeSpan HistoryRetention { get; set; } = JobDefaults.HistoryRetention;

    /// <summary>Gets or sets the records a record job delivers per call to its target (1 to 100,000).</summary>
    /// <value>The default value is 100.</value>
    public int BatchSize { get; set; } = JobDefaults.BatchSize;

    /// <summary>
    /// Gets or sets how many records a run may fail to export, for any reason, before it fails ("maximum items to skip
    /// before failure"): records skipped after their retries, rejected by the target (failed permanently) and quarantined
    /// inbox records (a payload that cannot be read) all count; the (K+1)-th stops the run with a failed outcome, and the
    /// failure notifiers are told. Whatever this is, a run that read records and delivered none of them fails.
    /// </summary>
    /// <value>The default value is 100.</value>
    public int MaxItemsToSkip { get; set; } = JobDefaults.MaxItemsToSkip;

    /// <summary>Gets or sets the age of the oldest record the source is asked for ("maximum number of days to export").</summary>
    /// <value>The default value is <see langword="null"/> (no limit).</value>
    public TimeSpan? MaxAge { get; set; }

    /// <summary>Gets the retry window of a record job's deliveries.</summary>
    public RetryWindowOptions RetryWindow { get; } = new();

    /// <summary>Gets or sets a value indicating whether a record job reports each record's outcome to its status sink; switch off for exports that must leave status alone.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UpdateStatus { get; set; } = true;
}
