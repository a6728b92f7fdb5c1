using System.Numerics;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Tests.Scheduling;

/// <summary>Interval schedules count from a fixed anchor: fire n is anchor + n × interval, whenever it is asked.</summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class IntervalScheduleTests
{
    private static readonly Arbitrary<(TimeSpan Interval, DateTimeOffset Anchor, DateTimeOffset Start)> Cases =
        (from interval in ScheduleGenerators.Interval
         from anchor in ScheduleGenerators.Instant
         from start in Gen.OneOf(
             ScheduleGenerators.Instant,                                            // anywhere, before or after the anchor
             from k in Gen.Choose(-1000, 1000) select anchor + (interval * k),     // exactly on a fire
             from k in Gen.Choose(-1000, 1000) select anchor + (interval * k) - TimeSpan.FromTicks(1))
         select (interval, anchor, start)).ToArbitrary();

    [Property(MaxTest = 500)]
    public Property Every_fire_is_anchor_plus_a_whole_number_of_intervals_and_the_first_after_start() => Prop.ForAll(Cases, c =>
    {
        var schedule = Schedule.Every(c.Interval, c.Anchor);

        var next = schedule.GetNextOccurrence(c.Start)!.Value;

        // Big integers: (next - anchor) may span 40 years of ticks, far from a multiple of an odd tick count.
        var k = BigInteger.DivRem(next.UtcTicks - (BigInteger)c.Anchor.UtcTicks, c.Interval.Ticks, out var rest);
        Assert.True(rest.IsZero, $"{next:O} is {rest} ticks off the grid of {c.Interval} from {c.Anchor:O}");
        Assert.True(next > c.Start, $"{next:O} is not after {c.Start:O}");
        Assert.True(next - c.Interval <= c.Start, $"{next:O} skipped the fire {next - c.Interval:O}, which is after {c.Start:O} (k = {k})");
    });

    [Property(MaxTest = 300)]
    public Property Fires_do_not_drift_over_many_intervals() => Prop.ForAll(Cases, c =>
    {
        var schedule = Schedule.Every(c.Interval, c.Anchor);

        var fires = ScheduleGenerators.Fires(schedule, c.Start, 1_000);

        for (var j = 0; j < fires.Count; j++)
        {
            Assert.Equal(fires[0] + (c.Interval * j), fires[j]);
        }
    });

    [Property(MaxTest = 300)]
    public Property Fires_from_any_instant_are_the_fires_counted_from_the_anchor() => Prop.ForAll(
        (from c in Cases.Generator
         from stepsBack in Gen.Choose(0, 50)
         from extraTicks in Gen.Choose(0, int.MaxValue)
         select (c, stepsBack, extraTicks)).ToArbitrary(),
        x =>
        {
            var (c, stepsBack, extraTicks) = x;
            var schedule = Schedule.Every(c.Interval, c.Anchor);
            var earlier = c.Start - (c.Interval * stepsBack) - TimeSpan.FromTicks(extraTicks % c.Interval.Ticks);

            var fromStart = ScheduleGenerators.Fires(schedule, c.Start, 20);
            var fromEarlier = ScheduleGenerators.Fires(schedule, earlier, 20 + stepsBack + 2).Where(f => f > c.Start).Take(20);

            Assert.Equal(fromStart, fromEarlier);
        });

    [Property(MaxTest = 300)]
    public Property A_late_start_stays_on_the_grid_and_fires_once() => Prop.ForAll(
        (from c in Cases.Generator
         from lateness in Gen.Choose(0, int.MaxValue)
         from missed in Gen.Choose(0, 100)
         select (c, lateness, missed)).ToArbitrary(),
        x =>
        {
            // The engine asks for the next fire from "now"; when it ran late (by whole missed intervals and a part of one),
            // the next fire is still the next grid point: no drift by the lateness, and no burst of the missed fires.
            var (c, lateness, missed) = x;
            var schedule = Schedule.Every(c.Interval, c.Anchor);
            var fire = schedule.GetNextOccurrence(c.Start)!.Value;
            var now = fire + (c.Interval * missed) + TimeSpan.FromTicks(lateness % c.Interval.Ticks);

            Assert.Equal(fire + (c.Interval * (missed + 1)), schedule.GetNextOccurrence(now));
        });

    [Fact]
    public void Every_DefaultAnchor_FiresOnTheWholeIntervalInUtc()
    {
        var schedule = Schedule.Every(TimeSpan.FromHours(1));

        var fires = ScheduleGenerators.Fires(schedule, new DateTimeOffset(2026, 3, 29, 0, 59, 59, TimeSpan.FromHours(1)), 3);

        Assert.Equal(
            [
                new DateTimeOffset(2026, 3, 29, 0, 0, 0, TimeSpan.Zero),
                new DateTimeOffset(2026, 3, 29, 1, 0, 0, TimeSpan.Zero),
                new DateTimeOffset(2026, 3, 29, 2, 0, 0, TimeSpan.Zero),
            ],
            fires);
    }

    [Fact]
    public void Every_AnchorInTheFuture_FiresOnTheGridBeforeTheAnchorToo()
    {
        var anchor = new DateTimeOffset(2026, 1, 1, 0, 7, 0, TimeSpan.Zero);
        var schedule = Schedule.Every(TimeSpan.FromMinutes(15), anchor);

        var next = schedule.GetNextOccurrence(new DateTimeOffset(2025, 12, 31, 23, 40, 0, TimeSpan.Zero));

        Assert.Equal(new DateTimeOffset(2025, 12, 31, 23, 52, 0, TimeSpan.Zero), next);
    }

    [Fact]
    public void Every_StartExactlyOnAFire_ReturnsTheNextOne()
    {
        var anchor = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var schedule = Schedule.Every(TimeSpan.FromMinutes(30), anchor);

        Assert.Equal(anchor.AddMinutes(30), schedule.GetNextOccurrence(anchor));
        Assert.Equal(anchor, schedule.GetNextOccurrence(anchor.AddMinutes(-30)));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-10_000_000L)]
    [InlineData(9_999_999L)]
    public void Every_IntervalUnderOneSecond_Throws(long ticks)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedule.Every(TimeSpan.FromTicks(ticks)));
    }
}
