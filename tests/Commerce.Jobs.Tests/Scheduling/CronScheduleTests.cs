using Commerce.Jobs.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Tests.Scheduling;

/// <summary>Cron schedules: parsed and evaluated by Cronos, in the schedule's zone or the server's.</summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class CronScheduleTests
{
    [Fact]
    public void Cron_EveryFifteenMinutes_FiresOnTheQuarterHours()
    {
        var schedule = Schedule.Cron("*/15 * * * *", TimeZoneInfo.Utc);

        var fires = ScheduleGenerators.Fires(schedule, new DateTimeOffset(2026, 3, 29, 10, 7, 30, TimeSpan.Zero), 4);

        Assert.Equal(
            [
                new DateTimeOffset(2026, 3, 29, 10, 15, 0, TimeSpan.Zero),
                new DateTimeOffset(2026, 3, 29, 10, 30, 0, TimeSpan.Zero),
                new DateTimeOffset(2026, 3, 29, 10, 45, 0, TimeSpan.Zero),
                new DateTimeOffset(2026, 3, 29, 11, 0, 0, TimeSpan.Zero),
            ],
            fires);
    }

    [Property(MaxTest = 300)]
    public Property Cron_every_fifteen_minutes_fires_on_the_next_quarter_hour_strictly_after() => Prop.ForAll(
        ScheduleGenerators.Instant.ToArbitrary(),
        start =>
        {
            var schedule = Schedule.Cron("*/15 * * * *", TimeZoneInfo.Utc);
            var quarter = TimeSpan.FromMinutes(15).Ticks;
            var expected = new DateTimeOffset(((start.UtcTicks / quarter) + 1) * quarter, TimeSpan.Zero);

            Assert.Equal(expected, schedule.GetNextOccurrence(start, ScheduleGenerators.ServerZone));
        });

    [Fact]
    public void Cron_WithSeconds_SixFieldsAreRead()
    {
        var schedule = Schedule.Cron("*/20 * * * * *", TimeZoneInfo.Utc);

        var fires = ScheduleGenerators.Fires(schedule, new DateTimeOffset(2026, 3, 29, 10, 0, 5, TimeSpan.Zero), 3);

        Assert.Equal(
            [
                new DateTimeOffset(2026, 3, 29, 10, 0, 20, TimeSpan.Zero),
                new DateTimeOffset(2026, 3, 29, 10, 0, 40, TimeSpan.Zero),
                new DateTimeOffset(2026, 3, 29, 10, 1, 0, TimeSpan.Zero),
            ],
            fires);
    }

    [Fact]
    public void Cron_WithoutZone_IsReadInTheServerZone()
    {
        var schedule = Schedule.Cron("0 2 * * *");
        var after = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

        Assert.Equal(new DateTimeOffset(2026, 1, 15, 1, 0, 0, TimeSpan.Zero), schedule.GetNextOccurrence(after, ScheduleGenerators.Zone("Europe/Berlin")));
        Assert.Equal(new DateTimeOffset(2026, 1, 15, 7, 0, 0, TimeSpan.Zero), schedule.GetNextOccurrence(after, ScheduleGenerators.Zone("America/New_York")));
    }

    [Theory]
    [InlineData("61 * * * *")]
    [InlineData("* 24 * * *")]
    [InlineData("* * *")]
    [InlineData("* * * * * * *")]
    [InlineData("not a cron expression")]
    [InlineData("*/0 * * * *")]
    public void Cron_InvalidExpression_ThrowsFormatExceptionNamingIt(string expression)
    {
        var ex = Assert.Throws<FormatException>(() => Schedule.Cron(expression));

        Assert.Contains(expression, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Cron_EmptyExpression_ThrowsArgumentException(string expression)
    {
        Assert.ThrowsAny<ArgumentException>(() => Schedule.Cron(expression));
    }

    [Property(MaxTest = 60)]
    public Property A_daily_cron_expression_fires_when_DailyAt_does_across_DST() => Prop.ForAll(
        (from zoneId in Gen.Elements(ScheduleGenerators.DstZoneIds)
         from time in ScheduleGenerators.TimeOfDay
         from year in Gen.Choose(2000, 2040)
         select (zoneId, time, year)).ToArbitrary(),
        c =>
        {
            // Cronos moves a skipped time to the end of the gap and runs a repeated one once, as DailyAt does.
            var zone = ScheduleGenerators.Zone(c.zoneId);
            var cron = Schedule.Cron($"{c.time.Minute} {c.time.Hour} * * *", zone);
            var daily = Schedule.DailyAt(c.time, zone);
            var start = new DateTimeOffset(c.year, 1, 1, 0, 0, 0, TimeSpan.Zero);

            Assert.Equal(ScheduleGenerators.Fires(daily, start, 366), ScheduleGenerators.Fires(cron, start, 366));
        });

    [Fact]
    public void Cron_DescribesItself()
    {
        Assert.Equal("cron '*/15 * * * *' (Europe/Berlin)", Schedule.Cron("*/15 * * * *", ScheduleGenerators.Zone("Europe/Berlin")).ToString());
        Assert.Equal("*/15 * * * *", Assert.IsType<CronSchedule>(Schedule.Cron("*/15 * * * *")).Expression);
    }
}
