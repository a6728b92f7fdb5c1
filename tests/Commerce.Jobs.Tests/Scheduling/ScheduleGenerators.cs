using Commerce.Jobs.Scheduling;
using FsCheck;
using FsCheck.Fluent;

namespace Commerce.Jobs.Tests.Scheduling;

/// <summary>A generated schedule with a description that says everything needed to rebuild it (anchor, seed, zone).</summary>
public sealed record ScheduleCase(string Description, Schedule Schedule)
{
    public override string ToString() => Description;
}

/// <summary>FsCheck generators for schedule maths: instants, zones, times of day, intervals and schedules of every timed kind.</summary>
internal static class ScheduleGenerators
{
    /// <summary>The earliest instant generated: 2000-01-01T00:00Z.</summary>
    public static readonly DateTimeOffset Epoch2000 = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The zones with daylight saving time the daily schedule is checked in (two northern, one southern).</summary>
    public static readonly string[] DstZoneIds = ["Europe/Berlin", "America/New_York", "Australia/Sydney"];

    /// <summary>Zones for schedules that name one: the DST zones and UTC.</summary>
    public static readonly string[] ZoneIds = [.. DstZoneIds, "UTC"];

    /// <summary>Cron expressions that fire at least once a month (five fields, and one with seconds).</summary>
    public static readonly string[] CronExpressions =
    [
        "*/15 * * * *",
        "0 2 * * *",
        "30 2 * * *",
        "0 */6 * * *",
        "15 1 * * 1-5",
        "0 0 1 * *",
        "*/20 * * * * *",
    ];

    /// <summary>Gets an instant between 2000 and 2040, to the tick, written with a random whole-hour offset.</summary>
    public static Gen<DateTimeOffset> Instant { get; } =
        from day in Gen.Choose(0, 40 * 365)
        from second in Gen.Choose(0, 86_399)
        from tick in Gen.Choose(0, 9_999_999)
        from offsetHours in Gen.Choose(-12, 14)
        select Epoch2000.AddDays(day).AddSeconds(second).AddTicks(tick).ToOffset(TimeSpan.FromHours(offsetHours));

    /// <summary>Gets a zone id among <see cref="ZoneIds"/>.</summary>
    public static Gen<string> ZoneId { get; } = Gen.Elements(ZoneIds);

    /// <summary>Gets a time of day to the minute, often one of the times DST transitions skip or repeat.</summary>
    public static Gen<TimeOnly> TimeOfDay { get; } = Gen.Frequency(
        (3, from minute in Gen.Choose(0, (24 * 60) - 1) select new TimeOnly(minute / 60, minute % 60)),
        (2, from minute in Gen.Choose(60, (4 * 60) - 1) select new TimeOnly(minute / 60, minute % 60)),
        (2, Gen.Elements(new TimeOnly(2, 30), new TimeOnly(2, 0), new TimeOnly(2, 59), new TimeOnly(1, 30), new TimeOnly(3, 0), new TimeOnly(0, 0), new TimeOnly(23, 59))));

    /// <summary>Gets an interval of at least a second: whole seconds, minutes or hours, or an odd number of ticks.</summary>
    public static Gen<TimeSpan> Interval { get; } = Gen.OneOf(
        Gen.Choose(1, 3_600).Select(s => TimeSpan.FromSeconds(s)),
        Gen.Choose(1, 24 * 60).Select(m => TimeSpan.FromMinutes(m)),
        Gen.Choose(1, 24 * 9).Select(h => TimeSpan.FromHours(h)),
        Gen.Choose((int)TimeSpan.TicksPerSecond, int.MaxValue).Select(t => TimeSpan.FromTicks(t)));

    public static Gen<ScheduleCase> IntervalSchedule { get; } =
        from interval in Interval
        from anchor in Instant
        select new ScheduleCase($"every {interval:c} from {anchor:O}", Schedule.Every(interval, anchor));

    public static Gen<ScheduleCase> DailySchedule(string zoneId) =>
        from time in TimeOfDay
        select new ScheduleCase($"daily at {time:HH\\:mm} ({zoneId})", Schedule.DailyAt(time, Zone(zoneId)));

    public static Gen<ScheduleCase> DailySchedule() => ZoneId.SelectMany(DailySchedule);

    public static Gen<ScheduleCase> CronSchedule(string zoneId) =>
        from expression in Gen.Elements(CronExpressions)
        select new ScheduleCase($"cron '{expression}' ({zoneId})", Schedule.Cron(expression, Zone(zoneId)));

    public static Gen<ScheduleCase> CronSchedule() => ZoneId.SelectMany(CronSchedule);

    public static Gen<ScheduleCase> AutomaticSchedule { get; } =
        from runs in Gen.Choose(1, 24)
        from seed in Gen.Choose(int.MinValue, int.MaxValue)
        select new ScheduleCase($"automatic, {runs} cleanup runs a day, seed {seed}", new AutomaticSchedule(runs, seed));

    /// <summary>Gets two to four timed schedules of any kind, combined.</summary>
    public static Gen<ScheduleCase> CombinedSchedule { get; } =
        from count in Gen.Choose(2, 4)
        from parts in Gen.ListOf(Gen.OneOf(IntervalSchedule, DailySchedule(), CronSchedule(), AutomaticSchedule), count)
        select new ScheduleCase(string.Join(" and ", parts.Select(p => p.Description)), Schedule.Combine([.. parts.Select(p => p.Schedule)]));

    /// <summary>Gets a timed schedule of any kind.</summary>
    public static Gen<ScheduleCase> AnyTimedSchedule { get; } = Gen.OneOf(IntervalSchedule, DailySchedule(), CronSchedule(), AutomaticSchedule, CombinedSchedule);

    public static TimeZoneInfo Zone(string id) => TimeZoneInfo.FindSystemTimeZoneById(id);

    /// <summary>A zone no test expects, passed where a schedule names its own zone, so the server's zone never matters.</summary>
    public static TimeZoneInfo ServerZone { get; } = TimeZoneInfo.CreateCustomTimeZone("Test/Server", TimeSpan.FromHours(5.5), "Test/Server", "Test/Server");

    /// <summary>Gets <paramref name="count"/> fires of <paramref name="schedule"/> strictly after <paramref name="after"/>.</summary>
    public static List<DateTimeOffset> Fires(Schedule schedule, DateTimeOffset after, int count, TimeZoneInfo? localZone = null)
    {
        var fires = new List<DateTimeOffset>(count);
        var t = after;
        for (var i = 0; i < count && schedule.GetNextOccurrence(t, localZone ?? ServerZone) is { } next; i++)
        {
            fires.Add(next);
            t = next;
        }

        return fires;
    }
}
