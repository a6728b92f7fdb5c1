using Commerce.Jobs.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Tests.Scheduling;

/// <summary>A combined schedule fires whenever any part fires; parts firing at one instant fire once.</summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class CombinedScheduleTests
{
    private static readonly TimeZoneInfo Berlin = ScheduleGenerators.Zone("Europe/Berlin");

    private static readonly Gen<ScheduleCase> PartOrNoFires = Gen.Frequency(
        (6, Gen.OneOf(ScheduleGenerators.IntervalSchedule, ScheduleGenerators.DailySchedule(), ScheduleGenerators.CronSchedule(), ScheduleGenerators.AutomaticSchedule)),
        (1, Gen.Elements(
            new ScheduleCase("manual", Schedule.Manual()),
            new ScheduleCase("after 'product-refresh'", Schedule.After("product-refresh")),
            new ScheduleCase("automatic, no cleanup runs", Schedule.Automatic(0)))));

    [Property(MaxTest = 300)]
    public Property The_next_fire_is_the_earliest_next_fire_of_the_parts() => Prop.ForAll(
        (from count in Gen.Choose(1, 4)
         from parts in Gen.ListOf(PartOrNoFires, count)
         from start in ScheduleGenerators.Instant
         select (parts, start)).ToArbitrary(),
        c =>
        {
            var (parts, start) = c;
            var combined = Schedule.Combine([.. parts.Select(p => p.Schedule)]);

            var t = start;
            for (var i = 0; i < 20; i++)
            {
                var expected = parts
                    .Select(p => p.Schedule.GetNextOccurrence(t, ScheduleGenerators.ServerZone))
                    .Where(n => n.HasValue)
                    .Min();
                var next = combined.GetNextOccurrence(t, ScheduleGenerators.ServerZone);

                Assert.Equal(expected, next);
                if (next is null)
                {
                    return;
                }

                t = next.Value;
            }
        });

    [Fact]
    public void Or_EveryThirtyMinutesAndDailyAtTwo_FiresOnTheHalfHoursAndOnceAtTwo()
    {
        // Berlin in winter is UTC+1, so 02:00 local is 01:00Z: on the half-hour grid, where the two parts fire as one.
        var schedule = Schedule.Every(TimeSpan.FromMinutes(30)).Or(Schedule.DailyAt(new TimeOnly(2, 0), Berlin));
        var dayStart = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

        var fires = ScheduleGenerators.Fires(schedule, dayStart.AddTicks(-1), 100).Where(f => f < dayStart.AddDays(1)).ToList();

        Assert.Equal(48, fires.Count);
        Assert.Equal(48, fires.Distinct().Count());
        Assert.Contains(new DateTimeOffset(2026, 1, 15, 1, 0, 0, TimeSpan.Zero), fires);
        Assert.Equal(Enumerable.Range(0, 48).Select(i => dayStart.AddMinutes(30 * i)), fires);
    }

    [Fact]
    public void Or_EveryThirtyMinutesAndDailyOffTheGrid_AddsTheDailyFire()
    {
        var schedule = Schedule.Combine(Schedule.Every(TimeSpan.FromMinutes(30)), Schedule.DailyAt(new TimeOnly(2, 10), Berlin));
        var dayStart = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);

        var fires = ScheduleGenerators.Fires(schedule, dayStart.AddTicks(-1), 100).Where(f => f < dayStart.AddDays(1)).ToList();

        Assert.Equal(49, fires.Count);
        Assert.Equal(
            [dayStart.AddMinutes(60), dayStart.AddMinutes(70), dayStart.AddMinutes(90)],
            fires.Where(f => f >= dayStart.AddMinutes(60) && f <= dayStart.AddMinutes(90)));
    }

    [Fact]
    public void GetNext_AutomaticAndInterval_KindIsThatOfThePartThatFires()
    {
        var cleanup = new AutomaticSchedule(1, 42);
        var day = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);
        var cleanupAt = cleanup.CleanupInstant(day.UtcTicks / TimeSpan.TicksPerDay, 0);
        // Cleanup runs fall on whole seconds; the interval fires one tick after this one, so the two never coincide.
        var schedule = Schedule.Combine(cleanup, Schedule.Every(TimeSpan.FromDays(1), cleanupAt.AddTicks(1)));

        Assert.Equal(new ScheduleOccurrence(cleanupAt, TriggerKind.Cleanup), schedule.GetNext(cleanupAt.AddTicks(-1), ScheduleGenerators.ServerZone));
        Assert.Equal(new ScheduleOccurrence(cleanupAt.AddTicks(1), TriggerKind.Schedule), schedule.GetNext(cleanupAt, ScheduleGenerators.ServerZone));
    }

    [Fact]
    public void Combine_FlattensNestedSchedulesAndDropsManual()
    {
        var every = Schedule.Every(TimeSpan.FromHours(1));
        var daily = Schedule.DailyAt(new TimeOnly(2, 0), Berlin);
        var cron = Schedule.Cron("*/15 * * * *", Berlin);

        var combined = Assert.IsType<CombinedSchedule>(every.Or(daily).Or(Schedule.Manual()).Or(cron));

        Assert.Equal([every, daily, cron], combined.Parts);
        Assert.Same(every, Schedule.Combine(every, Schedule.Manual()));
        Assert.Same(Schedule.Manual(), Schedule.Combine(Schedule.Manual(), Schedule.Manual()));
    }

    [Fact]
    public void Combine_AutomaticAndAfter_KeepsWhatIsNotTimed()
    {
        var schedule = Schedule.Automatic().Or(Schedule.After("product-refresh", AfterCondition.AnyOutcome));

        Assert.True(schedule.IsAutomatic);
        Assert.Equal([("product-refresh", AfterCondition.AnyOutcome)], schedule.AfterJobs);
    }
}
