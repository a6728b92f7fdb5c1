using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Tests.Scheduling;

/// <summary>What every timed schedule promises: each next fire is strictly after the instant asked about, and none is skipped.</summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class NextOccurrenceTests
{
    private const int FiresPerCase = 60;

    [Property(MaxTest = 200)]
    public Property Interval_next_fire_times_strictly_increase() => StrictlyIncreasing(ScheduleGenerators.IntervalSchedule);

    [Property(MaxTest = 200)]
    public Property Daily_next_fire_times_strictly_increase() => StrictlyIncreasing(ScheduleGenerators.DailySchedule());

    [Property(MaxTest = 200)]
    public Property Cron_next_fire_times_strictly_increase() => StrictlyIncreasing(ScheduleGenerators.CronSchedule());

    [Property(MaxTest = 200)]
    public Property Automatic_next_fire_times_strictly_increase() => StrictlyIncreasing(ScheduleGenerators.AutomaticSchedule);

    [Property(MaxTest = 200)]
    public Property Combined_next_fire_times_strictly_increase() => StrictlyIncreasing(ScheduleGenerators.CombinedSchedule);

    [Fact]
    public void GetNextOccurrence_ScheduleWithoutTimedFires_ReturnsNull()
    {
        var after = new DateTimeOffset(2026, 3, 29, 0, 0, 0, TimeSpan.Zero);

        Assert.Null(Schedule.Manual().GetNextOccurrence(after, ScheduleGenerators.ServerZone));
        Assert.Null(Schedule.After("product-refresh").GetNextOccurrence(after, ScheduleGenerators.ServerZone));
        Assert.Null(Schedule.Combine().GetNextOccurrence(after, ScheduleGenerators.ServerZone));
        Assert.Null(Schedule.Manual().Or(Schedule.After("product-refresh")).GetNextOccurrence(after, ScheduleGenerators.ServerZone));
    }

    /// <summary>
    /// From a random start, walks <see cref="FiresPerCase"/> fires: each is strictly after the one before, and asking from
    /// any instant between two fires (just after the earlier, half-way, just before the later) gives the later one, so
    /// stepping from fire to fire skips none.
    /// </summary>
    private static Property StrictlyIncreasing(Gen<ScheduleCase> schedules)
    {
        var cases = from schedule in schedules
                    from start in ScheduleGenerators.Instant
                    select (schedule, start);
        return Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (schedule, start) = c;
            var t = start;
            for (var i = 0; i < FiresPerCase; i++)
            {
                var next = schedule.Schedule.GetNextOccurrence(t, ScheduleGenerators.ServerZone);
                Assert.True(next.HasValue, $"fire {i} after {t:O}: none");
                Assert.True(next.Value > t, $"fire {i} after {t:O} was {next:O}, not strictly later");
                foreach (var probe in new[] { t.AddTicks(1), t + ((next.Value - t) / 2), next.Value.AddTicks(-1) })
                {
                    if (probe >= t && probe < next.Value)
                    {
                        Assert.Equal(next, schedule.Schedule.GetNextOccurrence(probe, ScheduleGenerators.ServerZone));
                    }
                }

                t = next.Value;
            }
        });
    }
}
