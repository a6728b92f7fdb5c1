namespace Commerce.Jobs.Scheduling;

/// <summary>Every <c>interval</c> from a fixed anchor: fire n is at anchor + n × interval, so runs never drift.</summary>
internal sealed class IntervalSchedule(TimeSpan interval, DateTimeOffset anchor) : Schedule
{
    public TimeSpan Interval { get; } = interval;

    public DateTimeOffset Anchor { get; } = anchor;

    /// <summary>The interval in words: "every 5 minutes", "every hour", "every 1 hour 30 minutes", "every 1 second 500 ms".</summary>
    public override string ToString()
    {
        var parts = new List<string>(4);
        Add(parts, Interval.Days, "day");
        Add(parts, Interval.Hours, "hour");
        Add(parts, Interval.Minutes, "minute");
        Add(parts, Interval.Seconds, "second");
        if (Interval.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            var milliseconds = (Interval.Ticks % TimeSpan.TicksPerSecond) / (double)TimeSpan.TicksPerMillisecond;
            parts.Add(FormattableString.Invariant($"{milliseconds:0.###} ms"));
        }

        return parts is [var single] && single.StartsWith("1 ", StringComparison.Ordinal)
            ? $"every {single[2..]}"
            : $"every {string.Join(' ', parts)}";

        static void Add(List<string> parts, int count, string unit)
        {
            if (count > 0)
            {
                parts.Add(count == 1 ? $"1 {unit}" : FormattableString.Invariant($"{count} {unit}s"));
            }
        }
    }

    internal override void ApplyTo(JobOptions options)
    {
        var anchor = Anchor == DateTimeOffset.UnixEpoch ? (DateTimeOffset?)null : Anchor;
        if (options.Interval is { } existing && (existing != Interval || options.IntervalAnchor != anchor))
        {
            throw new InvalidOperationException($"A job has one interval; it already runs every {existing:c}. Combine an interval with daily or cron schedules instead.");
        }

        options.Interval = Interval;
        options.IntervalAnchor = Anchor == DateTimeOffset.UnixEpoch ? null : Anchor;
    }

    internal override ScheduleOccurrence? GetNext(DateTimeOffset after, TimeZoneInfo localTimeZone)
    {
        var elapsed = after.UtcTicks - Anchor.UtcTicks;
        var ticks = Interval.Ticks;
        // The first multiple of the interval strictly after 'after' (floor division that works for instants before the anchor).
        var n = elapsed >= 0 ? (elapsed / ticks) + 1 : -((-elapsed) / ticks) + ((-elapsed) % ticks == 0 ? 1 : 0);
        return new ScheduleOccurrence(new DateTimeOffset(Anchor.UtcTicks + (n * ticks), TimeSpan.Zero), TriggerKind.Schedule);
    }
}
