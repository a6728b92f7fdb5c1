using System.Globalization;
using Commerce.Jobs.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Tests.Scheduling;

/// <summary>
/// A daily fixed-time schedule fires exactly once per local calendar day, DST-correct: a time the clocks skip runs at
/// the first valid instant after it, a time the clocks repeat runs once, at its first occurrence.
/// </summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class DailyScheduleTests
{
    [Property(MaxTest = 60)]
    public Property DailyAt_fires_once_per_local_day_for_a_whole_year_in_Berlin() => OncePerLocalDay("Europe/Berlin");

    [Property(MaxTest = 60)]
    public Property DailyAt_fires_once_per_local_day_for_a_whole_year_in_New_York() => OncePerLocalDay("America/New_York");

    [Property(MaxTest = 60)]
    public Property DailyAt_fires_once_per_local_day_for_a_whole_year_in_Sydney() => OncePerLocalDay("Australia/Sydney");

    [Theory]
    // Spring forward: 02:00–02:59 does not exist; a time in the gap runs when the clocks reach 03:00.
    [InlineData("Europe/Berlin", "02:30", "2026-03-29", "2026-03-29T01:00:00Z")]
    [InlineData("Europe/Berlin", "02:00", "2026-03-29", "2026-03-29T01:00:00Z")]
    [InlineData("Europe/Berlin", "02:59", "2026-03-29", "2026-03-29T01:00:00Z")]
    [InlineData("Europe/Berlin", "03:00", "2026-03-29", "2026-03-29T01:00:00Z")]
    [InlineData("America/New_York", "02:30", "2026-03-08", "2026-03-08T07:00:00Z")]
    [InlineData("Australia/Sydney", "02:30", "2026-10-04", "2026-10-03T16:00:00Z")]
    // Fall back: the hour before the change occurs twice; the job runs at the first (summer-time) occurrence.
    [InlineData("Europe/Berlin", "02:30", "2026-10-25", "2026-10-25T00:30:00Z")]
    [InlineData("Europe/Berlin", "02:00", "2026-10-25", "2026-10-25T00:00:00Z")]
    [InlineData("Europe/Berlin", "03:00", "2026-10-25", "2026-10-25T02:00:00Z")]
    [InlineData("America/New_York", "01:30", "2026-11-01", "2026-11-01T05:30:00Z")]
    [InlineData("Australia/Sydney", "02:30", "2026-04-05", "2026-04-04T15:30:00Z")]
    // Ordinary days on either side.
    [InlineData("Europe/Berlin", "02:30", "2026-03-28", "2026-03-28T01:30:00Z")]
    [InlineData("Europe/Berlin", "02:30", "2026-03-30", "2026-03-30T00:30:00Z")]
    [InlineData("America/New_York", "23:59", "2026-07-04", "2026-07-05T03:59:00Z")]
    [InlineData("Australia/Sydney", "00:00", "2026-01-01", "2025-12-31T13:00:00Z")]
    public void DailyAt_TransitionDay_FiresAtTheExpectedInstant(string zoneId, string time, string date, string expected)
    {
        var zone = ScheduleGenerators.Zone(zoneId);
        var schedule = Schedule.DailyAt(time, zoneId);
        var day = DateOnly.Parse(date, CultureInfo.InvariantCulture);
        var expectedInstant = DateTimeOffset.Parse(expected, CultureInfo.InvariantCulture);
        var justBeforeTheDay = LocalMidnight(day, zone).AddTicks(-1);

        Assert.Equal(expectedInstant, schedule.GetNextOccurrence(justBeforeTheDay, ScheduleGenerators.ServerZone));
        Assert.Equal(expectedInstant, ((DailySchedule)schedule).OccurrenceOn(day, zone));
    }

    [Theory]
    [InlineData("Europe/Berlin", "02:30", "2026-10-25", "2026-10-26T01:30:00Z")]
    [InlineData("America/New_York", "01:30", "2026-11-01", "2026-11-02T06:30:00Z")]
    [InlineData("Australia/Sydney", "02:30", "2026-04-05", "2026-04-05T16:30:00Z")]
    public void DailyAt_RepeatedTime_RunsOnceThenNextDay(string zoneId, string time, string date, string nextDay)
    {
        var zone = ScheduleGenerators.Zone(zoneId);
        var schedule = (DailySchedule)Schedule.DailyAt(time, zoneId);
        var first = schedule.OccurrenceOn(DateOnly.Parse(date, CultureInfo.InvariantCulture), zone);
        var secondOccurrence = first + TimeSpan.FromHours(1);

        Assert.Equal(DateTimeOffset.Parse(nextDay, CultureInfo.InvariantCulture), schedule.GetNextOccurrence(first));
        Assert.Equal(DateTimeOffset.Parse(nextDay, CultureInfo.InvariantCulture), schedule.GetNextOccurrence(secondOccurrence.AddTicks(-1)));
    }

    [Fact]
    public void DailyAt_SkippedTime_RunsOnceThatDay()
    {
        var schedule = Schedule.DailyAt("02:30", "Europe/Berlin");

        var fires = ScheduleGenerators.Fires(schedule, new DateTimeOffset(2026, 3, 27, 12, 0, 0, TimeSpan.Zero), 4);

        Assert.Equal(
            [
                new DateTimeOffset(2026, 3, 28, 1, 30, 0, TimeSpan.Zero),
                new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero),
                new DateTimeOffset(2026, 3, 30, 0, 30, 0, TimeSpan.Zero),
                new DateTimeOffset(2026, 3, 31, 0, 30, 0, TimeSpan.Zero),
            ],
            fires);
    }

    [Fact]
    public void DailyAt_WithoutZone_UsesTheLocalZoneItIsGiven()
    {
        var schedule = Schedule.DailyAt(new TimeOnly(2, 0));
        var after = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2026, 1, 15, 1, 0, 0, TimeSpan.Zero), schedule.GetNextOccurrence(after, ScheduleGenerators.Zone("Europe/Berlin")));
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 7, 0, 0, TimeSpan.Zero), schedule.GetNextOccurrence(after, ScheduleGenerators.Zone("America/New_York")));
    }

    [Theory]
    [InlineData("25:00")]
    [InlineData("24:00")]
    [InlineData("12:60")]
    [InlineData("2pm")]
    [InlineData("")]
    public void DailyAt_NotATimeOfDay_ThrowsFormatException(string time)
    {
        var ex = Assert.Throws<FormatException>(() => Schedule.DailyAt(time));

        Assert.Contains(time, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void DailyAt_UnknownZone_IsReportedWhenTheScheduleIsUsed_NamingTheZone()
    {
        // Not at the call: the job it is given to reports it at start-up with the job's name (see StartupCheckTests).
        var schedule = Schedule.DailyAt("02:00", "Mars/Olympus_Mons");

        var ex = Assert.Throws<TimeZoneNotFoundException>(() => schedule.GetNextOccurrence(DateTimeOffset.UnixEpoch));
        Assert.Contains("'Mars/Olympus_Mons'", ex.Message, StringComparison.Ordinal);
        Assert.Equal("daily at 02:00 (Mars/Olympus_Mons)", schedule.ToString());
    }

    /// <summary>
    /// For a random year and time, walks the schedule from just before the local year to its end: every local date of
    /// the year has exactly one fire, and that fire is the first instant the zone's wall clock reads the time or later.
    /// </summary>
    private static Property OncePerLocalDay(string zoneId)
    {
        var zone = ScheduleGenerators.Zone(zoneId);
        var cases = from year in Gen.Choose(2000, 2040)
                    from time in ScheduleGenerators.TimeOfDay
                    select (year, time);
        return Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (year, time) = c;
            var schedule = Schedule.DailyAt(time, zone);
            var firstDay = new DateOnly(year, 1, 1);
            var lastDay = new DateOnly(year, 12, 31);
            var fires = new Dictionary<DateOnly, List<DateTimeOffset>>();

            var t = LocalMidnight(firstDay, zone).AddTicks(-1);
            while (true)
            {
                var next = schedule.GetNextOccurrence(t, ScheduleGenerators.ServerZone)!.Value;
                var localDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(next, zone).DateTime);
                if (localDay > lastDay)
                {
                    break;
                }

                Assert.True(localDay >= firstDay, $"fire {next:O} is on {localDay}, before {firstDay}");
                if (!fires.TryGetValue(localDay, out var list))
                {
                    fires[localDay] = list = [];
                }

                list.Add(next);
                t = next;
            }

            for (var day = firstDay; day <= lastDay; day = day.AddDays(1))
            {
                Assert.True(fires.TryGetValue(day, out var onDay), $"no fire on {day} ({zoneId}, {time:HH\\:mm})");
                Assert.True(onDay.Count == 1, $"{onDay.Count} fires on {day} ({zoneId}, {time:HH\\:mm}): {string.Join(", ", onDay.Select(f => f.ToString("O", CultureInfo.InvariantCulture)))}");
                Assert.Equal(FirstInstantReading(day.ToDateTime(time), zone), onDay[0]);
            }
        });
    }

    /// <summary>
    /// The oracle: the first instant at which <paramref name="zone"/>'s wall clock reads <paramref name="local"/> or later.
    /// On a day without a transition nearby that is simply the local time at the day's offset; otherwise it is found by
    /// walking UTC minute by minute (the times generated are whole minutes, and these zones change at whole minutes).
    /// </summary>
    private static DateTimeOffset FirstInstantReading(DateTime local, TimeZoneInfo zone)
    {
        var before = zone.GetUtcOffset(new DateTimeOffset(local.AddDays(-1), TimeSpan.Zero));
        var after = zone.GetUtcOffset(new DateTimeOffset(local.AddDays(1), TimeSpan.Zero));
        if (before == after)
        {
            return new DateTimeOffset(local, before).ToUniversalTime();
        }

        for (var x = new DateTimeOffset(local.AddHours(-15), TimeSpan.Zero); ; x = x.AddMinutes(1))
        {
            if (TimeZoneInfo.ConvertTime(x, zone).DateTime >= local)
            {
                return x;
            }
        }
    }

    private static DateTimeOffset LocalMidnight(DateOnly day, TimeZoneInfo zone)
    {
        var midnight = day.ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(midnight, zone.GetUtcOffset(midnight));
    }
}
