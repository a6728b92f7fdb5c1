namespace Commerce.Jobs.Scheduling;

/// <summary>Builds a job's run-time schedule from its validated options.</summary>
internal static class JobSchedule
{
    public static Schedule FromOptions(string jobName, JobOptions options)
    {
        if (!options.RunOnSchedule)
        {
            return Schedule.Manual();
        }

        var zone = options.TimeZone is null ? null : TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone);
        var parts = new List<Schedule>();
        if (options.Interval is { } interval)
        {
            parts.Add(Schedule.Every(interval, options.IntervalAnchor));
        }

        foreach (var time in Split(options.DailyAt))
        {
            _ = Schedule.TryParseTimeOfDay(time, out var parsed);
            parts.Add(Schedule.DailyAt(parsed, zone));
        }

        if (!string.IsNullOrWhiteSpace(options.Cron))
        {
            parts.Add(Schedule.Cron(options.Cron, zone));
        }

        if (options.Automatic)
        {
            parts.Add(new AutomaticSchedule(options.CleanupRunsPerDay, StableHash(jobName)));
        }

        foreach (var after in Split(options.After))
        {
            parts.Add(Schedule.After(after, options.AfterCondition));
        }

        return Schedule.Combine([.. parts]);
    }

    public static string[] Split(string? list)
        => string.IsNullOrWhiteSpace(list) ? [] : list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>FNV-1a: the same on every host and every run (string.GetHashCode is randomized per process).</summary>
    public static int StableHash(string value)
    {
        var hash = 2166136261u;
        foreach (var c in value)
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return unchecked((int)hash);
    }
}
