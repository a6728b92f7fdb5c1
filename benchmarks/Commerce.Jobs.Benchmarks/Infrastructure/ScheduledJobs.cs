using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// A mix of scheduled jobs for the scale benchmarks: even-numbered jobs run every day from their own anchor (an
/// interval schedule), odd-numbered ones daily at their own time of day (a fixed-time schedule). Every job fires once
/// a day at a distinct instant (interval fires fall on odd milliseconds, daily ones on whole seconds), so the k-th fire
/// of the whole set is known in advance.
/// </summary>
internal static class ScheduledJobs
{
    public static readonly Func<JobContext, CancellationToken, ValueTask<JobResult>> Body = static (_, _) => ValueTask.FromResult(JobResult.Success);

    public static string Name(int i) => $"job-{i:D6}";

    /// <summary>The schedule of job <paramref name="i"/> of <paramref name="count"/>, as the fluent API declares it.</summary>
    public static Schedule ScheduleOf(int i, int count)
    {
        var k = i / 2;
        if (i % 2 == 0)
        {
            var intervals = (count + 1) / 2;
            var stepMs = 2 * (86_400_000L / (2L * intervals));
            return Schedule.Every(TimeSpan.FromDays(1), DateTimeOffset.UnixEpoch.AddMilliseconds(1 + (k * stepMs)));
        }

        var dailies = Math.Max(1, count / 2);
        var stepSeconds = 86_400 / dailies;
        return Schedule.DailyAt(TimeOnly.FromTimeSpan(TimeSpan.FromSeconds((long)k * stepSeconds)));
    }

    /// <summary>
    /// Registers <paramref name="count"/> jobs with their schedules in ONE named-options setup that looks a job up by
    /// name, instead of the fluent <c>.Schedule(...)</c>, which registers one <c>IConfigureNamedOptions</c> per job
    /// (every job's options then run every job's setup: quadratic start-up, see EngineStartupBenchmark).
    /// </summary>
    public static void AddBulk(CommerceJobsBuilder jobs, int count)
    {
        for (var i = 0; i < count; i++)
        {
            jobs.AddJob(Name(i), Body);
        }

        jobs.Services.AddSingleton<IConfigureOptions<JobOptions>>(new BulkSetup(count));
    }

    /// <summary>Registers <paramref name="count"/> jobs the documented way: <c>AddJob(name, body).Schedule(...)</c>.</summary>
    public static void AddFluent(CommerceJobsBuilder jobs, int count)
    {
        for (var i = 0; i < count; i++)
        {
            jobs.AddJob(Name(i), Body).Schedule(ScheduleOf(i, count));
        }
    }

    /// <summary>What <c>Schedule.ApplyTo</c> (internal) writes, for the two kinds used here.</summary>
    private static void ApplyTo(Schedule schedule, JobOptions options)
    {
        switch (schedule)
        {
            case Scheduling.IntervalSchedule interval:
                options.Interval = interval.Interval;
                options.IntervalAnchor = interval.Anchor;
                break;
            case Scheduling.DailySchedule daily:
                options.DailyAt = daily.Time.ToString("HH:mm:ss", CultureInfo.InvariantCulture);
                break;
            default:
                throw new NotSupportedException(schedule.ToString());
        }
    }

    /// <summary>Computes a job's schedule from its name (job-NNNNNN): no per-job setup object at all.</summary>
    private sealed class BulkSetup(int count) : IConfigureNamedOptions<JobOptions>
    {
        public void Configure(string? name, JobOptions options)
        {
            if (name is { Length: > 4 } && name.StartsWith("job-", StringComparison.Ordinal)
                && int.TryParse(name.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out var i) && i < count)
            {
                ApplyTo(ScheduleOf(i, count), options);
            }
        }

        public void Configure(JobOptions options) => Configure(Options.DefaultName, options);
    }
}
