using Commerce.Jobs.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Tests.Scheduling;

/// <summary>
/// An automatic schedule's timed fires are its cleanup runs: <c>cleanupRunsPerDay</c> per UTC day, one in each equal
/// slice of the day, at jittered instants that are a pure function of the day, the slice and the seed.
/// </summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class AutomaticScheduleTests
{
    private static readonly Gen<long> UtcDay =
        Gen.Choose(0, 40 * 365).Select(d => (ScheduleGenerators.Epoch2000.UtcTicks / TimeSpan.TicksPerDay) + d);

    private static readonly Arbitrary<(int Runs, int Seed, long Day)> Cases =
        (from runs in Gen.Choose(1, 24)
         from seed in Gen.Choose(int.MinValue, int.MaxValue)
         from day in UtcDay
         select (runs, seed, day)).ToArbitrary();

    [Property(MaxTest = 500)]
    public Property Cleanup_runs_fire_once_in_each_slice_of_every_UTC_day() => Prop.ForAll(Cases, c =>
    {
        var schedule = new AutomaticSchedule(c.Runs, c.Seed);
        var dayStart = new DateTimeOffset(c.Day * TimeSpan.TicksPerDay, TimeSpan.Zero);
        var dayEnd = dayStart.AddDays(1);

        var fires = new List<ScheduleOccurrence>();
        for (var t = dayStart.AddTicks(-1); schedule.GetNext(t, ScheduleGenerators.ServerZone) is { } next && next.Time < dayEnd; t = next.Time)
        {
            fires.Add(next);
        }

        // Equal slices of whole ticks: the day's last few ticks (fewer than the number of slices) belong to none.
        var sliceTicks = TimeSpan.TicksPerDay / c.Runs;
        Assert.Equal(c.Runs, fires.Count);
        for (var slice = 0; slice < c.Runs; slice++)
        {
            var sliceStart = dayStart.AddTicks(sliceTicks * slice);
            Assert.InRange(fires[slice].Time, sliceStart, sliceStart.AddTicks(sliceTicks - 1));
            Assert.Equal(TriggerKind.Cleanup, fires[slice].Kind);
        }
    });

    [Theory]
    // Counter-examples that once failed this suite's slice check: 19 slices do not divide a day into whole seconds.
    [InlineData(19, -1785630491, 733655L)]
    [InlineData(19, -1736016960, 741432L)]
    public void GetNext_SlicesNotWholeSeconds_FireInsideEachSlice(int runs, int seed, long day)
    {
        var schedule = new AutomaticSchedule(runs, seed);
        var sliceTicks = TimeSpan.TicksPerDay / runs;
        var dayStart = new DateTimeOffset(day * TimeSpan.TicksPerDay, TimeSpan.Zero);

        var fires = ScheduleGenerators.Fires(schedule, dayStart.AddTicks(-1), runs);

        for (var slice = 0; slice < runs; slice++)
        {
            Assert.InRange(fires[slice], dayStart.AddTicks(sliceTicks * slice), dayStart.AddTicks((sliceTicks * (slice + 1)) - 1));
        }
    }

    [Property(MaxTest = 200)]
    public Property The_same_seed_gives_the_same_instants_on_every_host() => Prop.ForAll(Cases, c =>
    {
        var after = new DateTimeOffset(c.Day * TimeSpan.TicksPerDay, TimeSpan.Zero);

        var onOneHost = ScheduleGenerators.Fires(new AutomaticSchedule(c.Runs, c.Seed), after, c.Runs * 10);
        var onAnother = ScheduleGenerators.Fires(new AutomaticSchedule(c.Runs, c.Seed), after, c.Runs * 10);

        Assert.Equal(onOneHost, onAnother);
    });

    [Property(MaxTest = 200)]
    public Property Different_seeds_give_different_instants() => Prop.ForAll(
        (from c in Cases.Generator
         from delta in Gen.Choose(1, int.MaxValue)
         select (c, otherSeed: unchecked(c.Seed + delta))).ToArbitrary(),
        x =>
        {
            var (c, otherSeed) = x;
            var after = new DateTimeOffset(c.Day * TimeSpan.TicksPerDay, TimeSpan.Zero);

            // Over 30 days the cleanup instants of two jobs may meet now and then, but never on every run.
            var one = ScheduleGenerators.Fires(new AutomaticSchedule(c.Runs, c.Seed), after, c.Runs * 30);
            var other = ScheduleGenerators.Fires(new AutomaticSchedule(c.Runs, otherSeed), after, c.Runs * 30);

            Assert.NotEqual(one, other);
        });

    [Fact]
    public void CleanupInstant_ManyDays_SpreadEvenlyOverTheSlice()
    {
        var schedule = new AutomaticSchedule(1, JobSchedule.StableHash("order-submit"));
        var buckets = new int[10];
        const int Days = 2_000;

        for (var day = 0; day < Days; day++)
        {
            var at = schedule.CleanupInstant(738_000 + day, 0);
            buckets[at.UtcTicks % TimeSpan.TicksPerDay * 10 / TimeSpan.TicksPerDay]++;
        }

        // Each tenth of the day should get about 200 of the 2,000 runs.
        Assert.All(buckets, count => Assert.InRange(count, 140, 260));
    }

    [Fact]
    public void CleanupInstant_ManyJobs_DoNotAllRunAtOnce()
    {
        var day = new DateTimeOffset(2026, 3, 29, 0, 0, 0, TimeSpan.Zero).UtcTicks / TimeSpan.TicksPerDay;
        var buckets = new int[12];
        var instants = new HashSet<DateTimeOffset>();
        const int Jobs = 1_200;

        for (var job = 0; job < Jobs; job++)
        {
            var schedule = new AutomaticSchedule(2, JobSchedule.StableHash($"job-{job}"));
            var at = schedule.CleanupInstant(day, 0);
            instants.Add(at);
            buckets[(at.UtcTicks % TimeSpan.TicksPerDay) * 12 / (TimeSpan.TicksPerDay / 2)]++;
        }

        // 1,200 jobs over the 43,200 seconds of the first slice: nearly all at distinct seconds, about 100 an hour.
        Assert.True(instants.Count > Jobs * 0.95, $"only {instants.Count} distinct instants for {Jobs} jobs");
        Assert.All(buckets, count => Assert.InRange(count, 60, 140));
    }

    [Fact]
    public void Automatic_ZeroCleanupRuns_HasNoTimedFires()
    {
        var schedule = Schedule.Automatic(cleanupRunsPerDay: 0);

        Assert.True(schedule.IsAutomatic);
        Assert.Null(schedule.GetNextOccurrence(new DateTimeOffset(2026, 3, 29, 0, 0, 0, TimeSpan.Zero), ScheduleGenerators.ServerZone));
        Assert.Null(new AutomaticSchedule(0, 12345).GetNext(DateTimeOffset.UnixEpoch, ScheduleGenerators.ServerZone));
    }

    [Fact]
    public void Automatic_Default_TwoCleanupRunsADay()
    {
        var schedule = (AutomaticSchedule)Schedule.Automatic();

        Assert.Equal(2, schedule.CleanupRunsPerDay);
        Assert.True(schedule.IsAutomatic);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(25)]
    public void Automatic_CleanupRunsOutOfRange_Throws(int cleanupRunsPerDay)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Schedule.Automatic(cleanupRunsPerDay));
    }

    [Theory]
    // FNV-1a (32-bit) test vectors: the hash must be the same on every host and in every process.
    [InlineData("", 0x811C9DC5u)]
    [InlineData("a", 0xE40C292Cu)]
    [InlineData("foobar", 0xBF9CF968u)]
    public void StableHash_KnownInputs_AreFnv1a(string value, uint expected)
    {
        Assert.Equal(unchecked((int)expected), JobSchedule.StableHash(value));
    }
}
