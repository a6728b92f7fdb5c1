namespace Commerce.Jobs.Scheduling;

/// <summary>Once a day at a wall-clock time in a zone; DST-correct (a skipped time runs at the next valid instant, a repeated one once).</summary>
internal sealed class DailySchedule : Schedule
{
    public DailySchedule(TimeOnly time, TimeZoneInfo? timeZone)
    {
        Time = time;
        TimeZone = timeZone;
        TimeZoneId = timeZone?.Id;
    }

    /// <summary>
    /// A schedule in a zone given by id. An unknown id is kept, not thrown at the call: the job's start-up validation
    /// reports it with the job's name (as for a zone from configuration).
    /// </summary>
    public DailySchedule(TimeOnly time, string? timeZoneId)
    {
        Time = time;
        TimeZoneId = timeZoneId;
        TimeZone = timeZoneId is not null && TimeZoneInfo.TryFindSystemTimeZoneById(timeZoneId, out var zone) ? zone : null;
    }

    public TimeOnly Time { get; }

    /// <summary>Gets the zone, or <see langword="null"/> for the server's or when <see cref="TimeZoneId"/> is unknown.</summary>
    public TimeZoneInfo? TimeZone { get; }

    public string? TimeZoneId { get; }

    public override string ToString() => TimeZoneId is null ? $"daily at {Time:HH\\:mm}" : $"daily at {Time:HH\\:mm} ({TimeZoneId})";

    internal override void ApplyTo(JobOptions options)
    {
        ApplyTimeZone(options, TimeZoneId);
        var time = Time.ToString(Time.Second == 0 ? "HH\\:mm" : "HH\\:mm\\:ss", System.Globalization.CultureInfo.InvariantCulture);
        options.DailyAt = string.IsNullOrWhiteSpace(options.DailyAt) ? time : $"{options.DailyAt},{time}";
    }

    internal override ScheduleOccurrence? GetNext(DateTimeOffset after, TimeZoneInfo localTimeZone)
    {
        var zone = TimeZone ?? (TimeZoneId is null ? localTimeZone : throw UnknownTimeZone(TimeZoneId));
        var localDate = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(after, zone).DateTime);
        // The occurrence of the previous local day can still lie ahead of 'after' only in odd zones; start there to be safe.
        for (var date = localDate.AddDays(-1); ; date = date.AddDays(1))
        {
            var occurrence = OccurrenceOn(date, zone);
            if (occurrence > after)
            {
                return new ScheduleOccurrence(occurrence, TriggerKind.Schedule);
            }
        }
    }

    /// <summary>The one instant the schedule fires on a local calendar day.</summary>
    internal DateTimeOffset OccurrenceOn(DateOnly date, TimeZoneInfo zone)
    {
        var local = date.ToDateTime(Time, DateTimeKind.Unspecified);
        if (zone.IsInvalidTime(local))
        {
            // Clocks jumped over this time: run at the first valid local minute after it (the end of the gap).
            local = local.AddTicks(-(local.Ticks % TimeSpan.TicksPerMinute));
            do
            {
                local = local.AddMinutes(1);
            }
            while (zone.IsInvalidTime(local));
        }

        if (zone.IsAmbiguousTime(local))
        {
            // The time occurs twice: run at the first occurrence only (the larger offset is the earlier instant).
            var offsets = zone.GetAmbiguousTimeOffsets(local);
            return new DateTimeOffset(local, offsets.Max());
        }

        return new DateTimeOffset(local, zone.GetUtcOffset(local));
    }
}
