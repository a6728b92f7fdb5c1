using System.Globalization;
using Commerce.Jobs.Scheduling;

namespace Commerce.Jobs;

/// <summary>
/// When a job runs: <see cref="Every"/> interval, <see cref="DailyAt(TimeOnly, TimeZoneInfo?)"/> a wall-clock time,
/// <see cref="Cron"/>, <see cref="Automatic"/> on a signal, <see cref="After"/> another job, or <see cref="Manual"/> only.
/// Combine several with <see cref="Combine"/> or <see cref="Or"/> ("every 30 minutes and daily at 02:00").
/// </summary>
/// <remarks>
/// Timed schedules compute their next fire time from the engine's <see cref="TimeProvider"/>; the scheduler keeps
/// one priority queue of next fire times for all jobs, never a timer per job. When a fire is late (the host was
/// busy or asleep), the job runs once and the schedule continues from now: never a burst of catch-up runs.
/// </remarks>
public abstract class Schedule
{
    private protected Schedule()
    {
    }

    /// <summary>Gets a value indicating whether the job runs when the host signals that data is available (read by the engine).</summary>
    internal virtual bool IsAutomatic => false;

    /// <summary>Gets the jobs this schedule runs after, with their conditions (read by the engine).</summary>
    internal virtual IReadOnlyList<(string JobName, AfterCondition Condition)> AfterJobs => [];

    /// <summary>Runs every <paramref name="interval"/>, measured from a fixed anchor so it does not drift.</summary>
    /// <param name="interval">The interval; at least one second.</param>
    /// <param name="anchor">The instant the intervals count from; by default the Unix epoch, so "every hour" fires on the hour (UTC).</param>
    /// <returns>The schedule.</returns>
    public static Schedule Every(TimeSpan interval, DateTimeOffset? anchor = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.FromSeconds(1));
        return new IntervalSchedule(interval, anchor ?? DateTimeOffset.UnixEpoch);
    }

    /// <summary>Runs once a day at a wall-clock time in a time zone, DST-correct.</summary>
    /// <param name="time">The local time of day.</param>
    /// <param name="timeZone">The zone; by default the server's local zone (<see cref="TimeProvider.LocalTimeZone"/>).</param>
    /// <returns>The schedule.</returns>
    /// <remarks>
    /// On the day a time does not exist (clocks go forward across it) the job runs once at the first valid instant after it;
    /// on the day a time occurs twice (clocks go back) it runs once, at the first occurrence.
    /// </remarks>
    public static Schedule DailyAt(TimeOnly time, TimeZoneInfo? timeZone = null) => new DailySchedule(time, timeZone);

    /// <summary>Runs once a day at a wall-clock time given as <c>HH:mm</c>.</summary>
    /// <param name="time">The time, <c>HH:mm</c> (24-hour).</param>
    /// <param name="timeZoneId">
    /// An IANA or Windows time zone id; by default the server's local zone. An unknown id stops the host at start-up with
    /// a message naming the job and the zone (as a <c>TimeZone</c> from configuration does).
    /// </param>
    /// <returns>The schedule.</returns>
    /// <exception cref="FormatException"><paramref name="time"/> is not <c>HH:mm</c>.</exception>
    public static Schedule DailyAt(string time, string? timeZoneId = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (!TryParseTimeOfDay(time, out var parsed))
        {
            throw new FormatException($"'{time}' is not a time of day in HH:mm form (00:00 to 23:59).");
        }

        return new DailySchedule(parsed, timeZoneId);
    }

    /// <summary>Runs on a cron expression (five fields, or six with seconds), parsed by Cronos.</summary>
    /// <param name="expression">The expression, e.g. <c>*/15 * * * *</c>.</param>
    /// <param name="timeZone">The zone the expression is read in; by default the server's local zone.</param>
    /// <returns>The schedule.</returns>
    /// <exception cref="FormatException">The expression is not valid.</exception>
    public static Schedule Cron(string expression, TimeZoneInfo? timeZone = null) => new CronSchedule(expression, timeZone);

    /// <summary>Runs as soon as the host signals that data is available, plus cleanup runs that retry what failed.</summary>
    /// <param name="cleanupRunsPerDay">Cleanup runs a day, at jittered times (one in each equal slice of the UTC day); 0 for none.</param>
    /// <remarks>The engine seeds the jitter with the job's name, so different jobs' cleanup runs spread out and every host computes the same instants.</remarks>
    /// <returns>The schedule.</returns>
    public static Schedule Automatic(int cleanupRunsPerDay = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cleanupRunsPerDay);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cleanupRunsPerDay, 24);
        return new AutomaticSchedule(cleanupRunsPerDay, 0);
    }

    /// <summary>Runs after another job completes.</summary>
    /// <param name="jobName">The other job.</param>
    /// <param name="condition">On which outcomes; by default success only.</param>
    /// <returns>The schedule.</returns>
    public static Schedule After(string jobName, AfterCondition condition = AfterCondition.Success)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(jobName);
        return new AfterSchedule(jobName, condition);
    }

    /// <summary>Runs only when triggered by hand ("Run on schedule" off).</summary>
    /// <returns>The schedule.</returns>
    public static Schedule Manual() => ManualSchedule.Instance;

    /// <summary>Runs whenever any of <paramref name="schedules"/> says so.</summary>
    /// <param name="schedules">The schedules.</param>
    /// <returns>The combined schedule.</returns>
    public static Schedule Combine(params Schedule[] schedules)
    {
        ArgumentNullException.ThrowIfNull(schedules);
        var parts = new List<Schedule>();
        foreach (var schedule in schedules)
        {
            ArgumentNullException.ThrowIfNull(schedule, nameof(schedules));
            if (schedule is CombinedSchedule combined)
            {
                parts.AddRange(combined.Parts);
            }
            else if (schedule is not ManualSchedule)
            {
                parts.Add(schedule);
            }
        }

        return parts.Count switch
        {
            0 => ManualSchedule.Instance,
            1 => parts[0],
            _ => new CombinedSchedule([.. parts]),
        };
    }

    /// <summary>Runs whenever this schedule or <paramref name="other"/> says so.</summary>
    /// <param name="other">The other schedule.</param>
    /// <returns>The combined schedule.</returns>
    public Schedule Or(Schedule other) => Combine(this, other);

    /// <summary>Gets the first timed fire strictly after <paramref name="after"/>, or <see langword="null"/> if the schedule has no timed fires.</summary>
    /// <param name="after">The instant to search from.</param>
    /// <param name="localTimeZone">The zone of daily and cron schedules that name none (the server's); by default <see cref="TimeZoneInfo.Local"/>.</param>
    /// <returns>The next fire time.</returns>
    public DateTimeOffset? GetNextOccurrence(DateTimeOffset after, TimeZoneInfo? localTimeZone = null)
        => GetNext(after, localTimeZone ?? TimeZoneInfo.Local)?.Time;

    /// <summary>Describes the schedule in words.</summary>
    /// <returns>The description.</returns>
    public abstract override string ToString();

    internal abstract ScheduleOccurrence? GetNext(DateTimeOffset after, TimeZoneInfo localTimeZone);


    /// <summary>Writes this schedule into a job's options (the one place a job's schedule lives at run time).</summary>
    internal abstract void ApplyTo(JobOptions options);

    internal static void ApplyTimeZone(JobOptions options, string? timeZoneId)
    {
        if (timeZoneId is null)
        {
            return;
        }

        if (options.TimeZone is not null && options.TimeZone != timeZoneId)
        {
            throw new InvalidOperationException($"A job reads its daily and cron schedules in one time zone; it already has '{options.TimeZone}', not '{timeZoneId}'.");
        }

        options.TimeZone = timeZoneId;
    }

    /// <summary>The error for a zone id no time zone has, when a schedule is asked for its next time directly.</summary>
    internal static TimeZoneNotFoundException UnknownTimeZone(string timeZoneId)
        => new($"Time zone '{timeZoneId}' (the schedule's timeZoneId) is not a known time zone id (IANA, such as Europe/Berlin, or Windows).");

    internal static bool TryParseTimeOfDay(string value, out TimeOnly time)
        => TimeOnly.TryParseExact(value.Trim(), ["HH:mm", "H:mm", "HH:mm:ss"], CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
}
