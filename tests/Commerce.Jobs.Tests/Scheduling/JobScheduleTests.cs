using Commerce.Jobs.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Tests.Scheduling;

/// <summary>
/// A job's schedule lives in its options at run time: what a builder schedule writes with <c>ApplyTo</c>,
/// <see cref="JobSchedule.FromOptions"/> must read back as a schedule with the same fires.
/// </summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class JobScheduleTests
{
    private const string JobName = "order-submit";

    /// <summary>Builder schedules a job may combine: at most one interval and one cron, daily times in one zone.</summary>
    private static readonly Gen<ScheduleCase> RoundTrippable =
        from zoneId in ScheduleGenerators.ZoneId
        from interval in Gen.OneOf(ScheduleGenerators.IntervalSchedule.Select(s => (ScheduleCase?)s), Gen.Constant<ScheduleCase?>(null))
        from dailyCount in Gen.Choose(0, 3)
        from dailies in Gen.ListOf(ScheduleGenerators.DailySchedule(zoneId), dailyCount)
        from cron in Gen.OneOf(ScheduleGenerators.CronSchedule(zoneId).Select(s => (ScheduleCase?)s), Gen.Constant<ScheduleCase?>(null))
        let parts = new[] { interval }.Concat(dailies).Append(cron).OfType<ScheduleCase>().ToArray()
        where parts.Length > 0
        select new ScheduleCase(string.Join(" and ", parts.Select(p => p.Description)), Schedule.Combine([.. parts.Select(p => p.Schedule)]));

    [Property(MaxTest = 300)]
    public Property FromOptions_reads_back_the_fires_the_builder_schedule_wrote() => Prop.ForAll(
        (from schedule in RoundTrippable
         from start in ScheduleGenerators.Instant
         select (schedule, start)).ToArbitrary(),
        c =>
        {
            var (schedule, start) = c;

            var roundTripped = RoundTrip(schedule.Schedule);

            Assert.Equal(ScheduleGenerators.Fires(schedule.Schedule, start, 30), ScheduleGenerators.Fires(roundTripped, start, 30));
        });

    [Property(MaxTest = 100)]
    public Property FromOptions_reads_back_an_automatic_schedule_seeded_by_the_job_name() => Prop.ForAll(
        (from runs in Gen.Choose(0, 24)
         from start in ScheduleGenerators.Instant
         select (runs, start)).ToArbitrary(),
        c =>
        {
            var (runs, start) = c;

            var roundTripped = RoundTrip(Schedule.Automatic(runs));

            Assert.True(roundTripped.IsAutomatic);
            var automatic = Assert.IsType<AutomaticSchedule>(roundTripped);
            Assert.Equal(runs, automatic.CleanupRunsPerDay);
            Assert.Equal(
                ScheduleGenerators.Fires(new AutomaticSchedule(runs, JobSchedule.StableHash(JobName)), start, 30),
                ScheduleGenerators.Fires(roundTripped, start, 30));
        });

    [Property(MaxTest = 100)]
    public Property FromOptions_with_RunOnSchedule_off_has_no_fires() => Prop.ForAll(
        (from schedule in Gen.OneOf(RoundTrippable, ScheduleGenerators.AutomaticSchedule)
         from start in ScheduleGenerators.Instant
         select (schedule, start)).ToArbitrary(),
        c =>
        {
            var (schedule, start) = c;
            var options = new JobOptions();
            schedule.Schedule.ApplyTo(options);
            options.RunOnSchedule = false;

            var roundTripped = JobSchedule.FromOptions(JobName, options);

            Assert.Null(roundTripped.GetNextOccurrence(start, ScheduleGenerators.ServerZone));
            Assert.Empty(roundTripped.AfterJobs);
        });

    [Fact]
    public void FromOptions_Interval_KeepsTheAnchor()
    {
        var anchor = new DateTimeOffset(2026, 1, 1, 0, 7, 0, TimeSpan.FromHours(2));
        var options = new JobOptions();
        Schedule.Every(TimeSpan.FromMinutes(15), anchor).ApplyTo(options);

        var schedule = Assert.IsType<IntervalSchedule>(JobSchedule.FromOptions(JobName, options));

        Assert.Equal(TimeSpan.FromMinutes(15), schedule.Interval);
        Assert.Equal(anchor, schedule.Anchor);
    }

    [Fact]
    public void FromOptions_IntervalWithDefaultAnchor_WritesNoAnchorAndCountsFromTheEpoch()
    {
        var options = new JobOptions();
        Schedule.Every(TimeSpan.FromHours(1)).ApplyTo(options);

        Assert.Null(options.IntervalAnchor);
        Assert.Equal(DateTimeOffset.UnixEpoch, Assert.IsType<IntervalSchedule>(JobSchedule.FromOptions(JobName, options)).Anchor);
    }

    [Fact]
    public void FromOptions_DailyTimes_AreWrittenAsACommaList()
    {
        var options = new JobOptions();
        Schedule.DailyAt("02:00", "Europe/Berlin").Or(Schedule.DailyAt("14:30", "Europe/Berlin")).ApplyTo(options);

        Assert.Equal("02:00,14:30", options.DailyAt);
        Assert.Equal("Europe/Berlin", options.TimeZone);
        var combined = Assert.IsType<CombinedSchedule>(JobSchedule.FromOptions(JobName, options));
        Assert.All(combined.Parts, p => Assert.Equal("Europe/Berlin", Assert.IsType<DailySchedule>(p).TimeZone!.Id));
    }

    [Fact]
    public void FromOptions_DailyWithoutZone_UsesTheServerZone()
    {
        var options = new JobOptions();
        Schedule.DailyAt(new TimeOnly(2, 0)).ApplyTo(options);

        var schedule = JobSchedule.FromOptions(JobName, options);

        Assert.Null(options.TimeZone);
        Assert.Equal(
            new DateTimeOffset(2026, 1, 15, 1, 0, 0, TimeSpan.Zero),
            schedule.GetNextOccurrence(new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero), ScheduleGenerators.Zone("Europe/Berlin")));
    }

    [Fact]
    public void FromOptions_After_ReadsBackTheJobsAndCondition()
    {
        var schedule = Schedule.After("product-refresh", AfterCondition.AnyOutcome).Or(Schedule.After("price-refresh", AfterCondition.AnyOutcome));

        var roundTripped = RoundTrip(schedule);

        Assert.Equal(schedule.AfterJobs, roundTripped.AfterJobs);
        Assert.Null(roundTripped.GetNextOccurrence(DateTimeOffset.UnixEpoch, ScheduleGenerators.ServerZone));
    }

    [Fact]
    public void FromOptions_Manual_HasNoFires()
    {
        var roundTripped = RoundTrip(Schedule.Manual());

        Assert.Same(Schedule.Manual(), roundTripped);
        Assert.False(roundTripped.IsAutomatic);
    }

    [Fact]
    public void FromOptions_NoScheduleSettings_IsManual()
    {
        Assert.Same(Schedule.Manual(), JobSchedule.FromOptions(JobName, new JobOptions()));
    }

    [Fact]
    public void ApplyTo_TwoCronExpressions_Throws()
    {
        var options = new JobOptions();
        Schedule.Cron("*/15 * * * *").ApplyTo(options);

        Assert.Throws<InvalidOperationException>(() => Schedule.Cron("0 2 * * *").ApplyTo(options));
    }

    [Fact]
    public void ApplyTo_DailyTimesInTwoZones_Throws()
    {
        var options = new JobOptions();
        Schedule.DailyAt("02:00", "Europe/Berlin").ApplyTo(options);

        Assert.Throws<InvalidOperationException>(() => Schedule.DailyAt("02:00", "America/New_York").ApplyTo(options));
    }

    [Fact]
    public void FromOptions_DailyAtWithSeconds_KeepsTheSeconds()
    {
        var schedule = Schedule.DailyAt(new TimeOnly(2, 0, 30), TimeZoneInfo.Utc);

        var roundTripped = RoundTrip(schedule);

        var after = new DateTimeOffset(2026, 1, 15, 0, 0, 0, TimeSpan.Zero);
        Assert.Equal(schedule.GetNextOccurrence(after), roundTripped.GetNextOccurrence(after));
    }

    [Fact]
    public void FromOptions_TwoIntervals_KeepsBothOrRejectsTheSecond()
    {
        var schedule = Schedule.Every(TimeSpan.FromMinutes(30)).Or(Schedule.Every(TimeSpan.FromMinutes(45)));

        Schedule? roundTripped = null;
        var rejected = Record.Exception(() => roundTripped = RoundTrip(schedule));

        if (rejected is null)
        {
            Assert.Equal(ScheduleGenerators.Fires(schedule, DateTimeOffset.UnixEpoch, 20), ScheduleGenerators.Fires(roundTripped!, DateTimeOffset.UnixEpoch, 20));
        }
        else
        {
            Assert.IsType<InvalidOperationException>(rejected);
        }
    }

    [Fact]
    public void FromOptions_AfterWithDifferentConditions_KeepsEachOrRejectsTheMix()
    {
        var schedule = Schedule.After("product-refresh", AfterCondition.AnyOutcome).Or(Schedule.After("price-refresh", AfterCondition.Success));

        Schedule? roundTripped = null;
        var rejected = Record.Exception(() => roundTripped = RoundTrip(schedule));

        if (rejected is null)
        {
            Assert.Equal(schedule.AfterJobs, roundTripped!.AfterJobs);
        }
        else
        {
            Assert.IsType<InvalidOperationException>(rejected);
        }
    }

    private static Schedule RoundTrip(Schedule schedule)
    {
        var options = new JobOptions();
        schedule.ApplyTo(options);
        return JobSchedule.FromOptions(JobName, options);
    }
}
