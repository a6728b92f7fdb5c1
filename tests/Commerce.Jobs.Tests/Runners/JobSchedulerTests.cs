using System.Threading.Channels;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Scheduling;
using Commerce.Jobs.Tests.Scheduling;
using Commerce.Jobs.Tests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Logging.Abstractions;

namespace Commerce.Jobs.Tests.Runners;

/// <summary>
/// The scheduler alone, on a fake clock: one priority queue of next fires and one timer for all jobs; due fires are
/// handed over in due order; a job told of a new next fire fires then (an earlier one wakes the scheduler) and not at
/// the fire planned before.
/// </summary>
/// <remarks>On a <see cref="ManualClock"/>: the scheduler re-arms its timer from its loop as soon as a fire was handed over.</remarks>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class JobSchedulerTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Due_fires_are_handed_over_in_due_order_with_their_scheduled_instant()
    {
        var hourly = Job("hourly", Schedule.Every(TimeSpan.FromHours(1)));
        var quarterly = Job("quarterly", Schedule.Every(TimeSpan.FromMinutes(15)));
        var daily = Job("daily", Schedule.DailyAt(new TimeOnly(10, 30), TimeZoneInfo.Utc));
        await using var sut = Harness.Create();

        sut.Start(hourly, quarterly, daily);

        Assert.Equal(Start.AddMinutes(15), quarterly.NextFireTime);
        Assert.Equal(Start.AddHours(1), hourly.NextFireTime);
        Assert.Equal(Start.AddHours(2.5), daily.NextFireTime);
        await sut.AdvanceToAsync(Start.AddMinutes(15));
        Assert.Equal(("quarterly", TriggerKind.Schedule, Start.AddMinutes(15)), await sut.NextFireAsync());
        await sut.AdvanceToAsync(Start.AddMinutes(30));
        Assert.Equal(("quarterly", TriggerKind.Schedule, Start.AddMinutes(30)), await sut.NextFireAsync());
        await sut.AdvanceToAsync(Start.AddMinutes(45));
        Assert.Equal(("quarterly", TriggerKind.Schedule, Start.AddMinutes(45)), await sut.NextFireAsync());
        await sut.AdvanceToAsync(Start.AddHours(1));
        var both = new[] { await sut.NextFireAsync(), await sut.NextFireAsync() };
        Assert.Equal([("hourly", TriggerKind.Schedule, Start.AddHours(1)), ("quarterly", TriggerKind.Schedule, Start.AddHours(1))], both.Order());
        await sut.SettledAsync();
        Assert.Equal(Start.AddHours(1.25), quarterly.NextFireTime);
        Assert.Equal(Start.AddHours(2), hourly.NextFireTime);
        Assert.Equal(0, sut.Pending);
    }

    [Fact]
    public async Task A_job_whose_schedule_cannot_tell_its_first_fire_is_not_planned_and_the_others_start()
    {
        var broken = Job("broken", Schedule.Every(TimeSpan.FromDays(3_000_000)));
        var quarterly = Job("quarterly", Schedule.Every(TimeSpan.FromMinutes(15)));
        await using var sut = Harness.Create();

        sut.Start(broken, quarterly);

        Assert.Null(broken.NextFireTime);
        await sut.AdvanceToAsync(Start.AddMinutes(15));
        Assert.Equal(("quarterly", TriggerKind.Schedule, Start.AddMinutes(15)), await sut.NextFireAsync());
    }

    [Fact]
    public async Task A_late_scheduler_fires_each_job_once_and_continues_from_now()
    {
        var quarterly = Job("quarterly", Schedule.Every(TimeSpan.FromMinutes(15)));
        await using var sut = Harness.Create();
        sut.Start(quarterly);

        await sut.AdvanceToAsync(Start.AddHours(2).AddMinutes(5));

        Assert.Equal(("quarterly", TriggerKind.Schedule, Start.AddMinutes(15)), await sut.NextFireAsync());
        await sut.SettledAsync();
        Assert.Equal(0, sut.Pending);
        Assert.Equal(Start.AddHours(2.25), quarterly.NextFireTime);
    }

    [Fact]
    public async Task Reschedule_replaces_the_planned_fire()
    {
        var job = Job("job", Schedule.Every(TimeSpan.FromMinutes(10)));
        var other = Job("other", Schedule.Every(TimeSpan.FromMinutes(30)));
        await using var sut = Harness.Create();
        sut.Start(job, other);

        // Later than planned: nothing at the planned fire, then the new one (its kind as told).
        sut.Scheduler.Reschedule(job, new ScheduleOccurrence(Start.AddMinutes(20), TriggerKind.Cleanup));
        await sut.AdvanceToAsync(Start.AddMinutes(10));
        await sut.SettledAsync();
        Assert.Equal(0, sut.Pending);
        Assert.Equal(Start.AddMinutes(20), job.NextFireTime);
        await sut.AdvanceToAsync(Start.AddMinutes(20));
        Assert.Equal(("job", TriggerKind.Cleanup, Start.AddMinutes(20)), await sut.NextFireAsync());

        // Then on from its schedule; told of no fire, it stops firing while the other job goes on.
        await sut.SettledAsync();
        Assert.Equal(Start.AddMinutes(30), job.NextFireTime);
        sut.Scheduler.Reschedule(job, null);
        await sut.AdvanceToAsync(Start.AddMinutes(30));
        Assert.Equal(("other", TriggerKind.Schedule, Start.AddMinutes(30)), await sut.NextFireAsync());
        await sut.SettledAsync();
        Assert.Null(job.NextFireTime);
        Assert.Equal(0, sut.Pending);

        // Rescheduled from its schedule: it fires again.
        sut.Scheduler.Reschedule(job);
        await sut.AdvanceToAsync(Start.AddMinutes(40));
        Assert.Equal(("job", TriggerKind.Schedule, Start.AddMinutes(40)), await sut.NextFireAsync());
    }

    [Fact]
    public async Task Replaced_fires_never_fire_and_the_timeline_stays_bounded_however_often_a_job_is_rescheduled()
    {
        var jobs = Enumerable.Range(0, 100).Select(i => Job($"job{i}", Schedule.DailyAt(new TimeOnly(7, 0), TimeZoneInfo.Utc))).ToArray();
        await using var sut = Harness.Create();
        sut.Start(jobs);
        await sut.SettledAsync();

        // Replaced lazily (a generation stamp, no search of the timeline): only the last fire told is current.
        for (var i = 5_000; i > 0; i--)
        {
            sut.Scheduler.Reschedule(jobs[i % 3], new ScheduleOccurrence(Start.AddMinutes(2 + (i % 500)), TriggerKind.Schedule));
        }

        await sut.AdvanceToAsync(Start.AddHours(10));
        var fires = new[] { await sut.NextFireAsync(), await sut.NextFireAsync(), await sut.NextFireAsync() };
        Assert.Equal([("job0", TriggerKind.Schedule, Start.AddMinutes(5)), ("job1", TriggerKind.Schedule, Start.AddMinutes(3)), ("job2", TriggerKind.Schedule, Start.AddMinutes(4))], fires.Order());
        await sut.SettledAsync();
        Assert.Equal(0, sut.Pending);
        Assert.InRange(sut.Scheduler.TimelineCount, 100, 100 + 64 + 100);
    }

    [Fact]
    public async Task An_earlier_fire_wakes_the_scheduler()
    {
        var daily = Job("daily", Schedule.DailyAt(new TimeOnly(7, 0), TimeZoneInfo.Utc));
        await using var sut = Harness.Create();
        sut.Start(daily);
        await sut.SettledAsync();
        Assert.Equal(1, sut.Clock.ArmedTimers);

        // The timer waits for tomorrow 07:00; told of a fire in five minutes, the scheduler fires then.
        sut.Scheduler.Reschedule(daily, new ScheduleOccurrence(Start.AddMinutes(5), TriggerKind.Manual));
        await sut.AdvanceToAsync(Start.AddMinutes(5));

        Assert.Equal(("daily", TriggerKind.Manual, Start.AddMinutes(5)), await sut.NextFireAsync());
        await sut.SettledAsync();
        Assert.Equal(new DateTimeOffset(2026, 1, 6, 7, 0, 0, TimeSpan.Zero), daily.NextFireTime);
    }

    [Fact]
    public async Task A_fire_in_the_past_is_handed_over_at_once()
    {
        var job = Job("job", Schedule.Every(TimeSpan.FromHours(1)));
        await using var sut = Harness.Create();
        sut.Start(job);

        sut.Scheduler.Reschedule(job, new ScheduleOccurrence(Start.AddMinutes(-5), TriggerKind.Schedule));

        Assert.Equal(("job", TriggerKind.Schedule, Start.AddMinutes(-5)), await sut.NextFireAsync());
    }

    [Fact]
    public async Task A_fire_further_out_than_a_timer_can_wait_is_waited_for()
    {
        // 29 February 2028: more than the 49.7 days a timer can wait.
        var leap = Job("leap", Schedule.Cron("0 0 29 2 *", TimeZoneInfo.Utc));
        await using var sut = Harness.Create();
        sut.Start(leap);

        await sut.AdvanceToAsync(Start.AddDays(60));
        await sut.SettledAsync();
        Assert.Equal(0, sut.Pending);
        await sut.AdvanceToAsync(new DateTimeOffset(2028, 2, 29, 0, 0, 0, TimeSpan.Zero));

        Assert.Equal(("leap", TriggerKind.Schedule, new DateTimeOffset(2028, 2, 29, 0, 0, 0, TimeSpan.Zero)), await sut.NextFireAsync());
    }

    [Fact]
    public async Task Many_jobs_share_one_timer()
    {
        var jobs = Enumerable.Range(0, 1_000).Select(i => Job($"job-{i}", Schedule.Every(TimeSpan.FromSeconds(60 + i)))).ToArray();
        await using var sut = Harness.Create();

        sut.Start(jobs);
        await sut.SettledAsync();
        Assert.Equal(1, sut.Clock.ArmedTimers);
        Assert.Equal(1, sut.TimersCreated);

        // Every job fires once when the clock jumps past them all; still the one timer, armed for the next.
        await sut.AdvanceToAsync(Start.AddHours(1));
        var fired = new HashSet<string>();
        for (var i = 0; i < jobs.Length; i++)
        {
            fired.Add((await sut.NextFireAsync()).Job);
        }

        await sut.SettledAsync();
        Assert.Equal(jobs.Length, fired.Count);
        Assert.Equal(0, sut.Pending);
        Assert.Equal(1, sut.Clock.ArmedTimers);
        Assert.Equal(1, sut.TimersCreated);
    }

    [Fact]
    public async Task A_due_handler_that_throws_stops_neither_the_job_nor_the_others()
    {
        var failing = Job("failing", Schedule.Every(TimeSpan.FromMinutes(10)));
        var fine = Job("fine", Schedule.Every(TimeSpan.FromMinutes(15)));
        await using var sut = Harness.Create(throwFor: "failing");
        sut.Start(failing, fine);

        await sut.AdvanceToAsync(Start.AddMinutes(10));
        Assert.Equal(("failing", TriggerKind.Schedule, Start.AddMinutes(10)), await sut.NextFireAsync());
        await sut.AdvanceToAsync(Start.AddMinutes(15));
        Assert.Equal(("fine", TriggerKind.Schedule, Start.AddMinutes(15)), await sut.NextFireAsync());
        await sut.AdvanceToAsync(Start.AddMinutes(20));
        Assert.Equal(("failing", TriggerKind.Schedule, Start.AddMinutes(20)), await sut.NextFireAsync());
        await sut.SettledAsync();
        Assert.Equal(Start.AddMinutes(30), failing.NextFireTime);
        Assert.Equal(0, sut.Pending);
    }

    /// <summary>Random timed schedules: the clock stepped through every due instant, the fires come in the sorted due order.</summary>
    [Property(MaxTest = 40)]
    public Property Fired_order_equals_the_sorted_due_order()
        => Prop.ForAll(
            (from count in Gen.Choose(1, 8)
             from cases in Gen.ListOf(ScheduleGenerators.AnyTimedSchedule, count)
             select cases.ToArray()).ToArbitrary(),
            cases => Task.Run(() => FiresInDueOrderAsync(cases)).GetAwaiter().GetResult());

    private static async Task FiresInDueOrderAsync(ScheduleCase[] cases)
    {
        var jobs = cases.Select((c, i) => Job($"job-{i}", c.Schedule)).ToArray();
        await using var sut = Harness.Create();
        sut.Start(jobs);

        // The model: every job's next fire from the instant the last fire happened.
        var zone = sut.Clock.LocalTimeZone;
        var next = jobs.Select(j => j.Schedule.GetNext(Start, zone)?.Time).ToArray();
        var expected = new List<(string Job, DateTimeOffset At)>();
        var fired = new List<(string Job, DateTimeOffset At)>();
        for (var step = 0; step < 25 && next.Any(n => n is not null); step++)
        {
            var at = next.Where(n => n is not null).Min()!.Value;
            var due = Enumerable.Range(0, jobs.Length).Where(i => next[i] == at).ToArray();
            foreach (var i in due)
            {
                expected.Add((jobs[i].Name, at));
                next[i] = jobs[i].Schedule.GetNext(at, zone)?.Time;
            }

            await sut.AdvanceToAsync(at);
            try
            {
                foreach (var _ in due)
                {
                    var (job, _, scheduled) = await sut.NextFireAsync();
                    fired.Add((job, scheduled));
                }
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException(
                    $"Step {step} at {at:O}: expected [{string.Join(", ", expected)}], fired [{string.Join(", ", fired)}]; next fires [{string.Join(", ", jobs.Select(j => $"{j.Name} {j.NextFireTime:O}"))}]; clock {sut.Clock.GetUtcNow():O}.",
                    ex);
            }
        }

        await sut.SettledAsync();
        Assert.Equal(0, sut.Pending);
        // Fires of one instant may come in any order among themselves.
        Assert.Equal(expected.Select(e => e.At), fired.Select(f => f.At));
        Assert.Equal(expected.Order(), fired.Order());
    }

    private static JobEntry Job(string name, Schedule schedule) => new(name, new JobOptions(), schedule, null!);

    private sealed class Harness : IAsyncDisposable
    {
        private readonly Channel<(string Job, TriggerKind Trigger, DateTimeOffset At)> _fires = Channel.CreateUnbounded<(string, TriggerKind, DateTimeOffset)>();
        private readonly CancellationTokenSource _stop = new();
        private Task _loop = Task.CompletedTask;
        private int _armingsAtLastFire = -1;

        private Harness(string? throwFor)
        {
            Clock = new ManualClock(JobSchedulerTests.Start);
            Scheduler = new JobScheduler(
                Clock,
                (entry, trigger, at) =>
                {
                    // The scheduler plans this job's next fire after this returns, then arms its timer: settled only after that.
                    Volatile.Write(ref _armingsAtLastFire, Clock.Armings);
                    _fires.Writer.TryWrite((entry.Name, trigger, at));
                    if (entry.Name == throwFor)
                    {
                        throw new InvalidOperationException("The due handler failed.");
                    }
                },
                NullLogger.Instance);
        }

        public ManualClock Clock { get; }

        public JobScheduler Scheduler { get; }

        public int TimersCreated => Clock.TimersCreated;

        /// <summary>Gets the fires handed over and not read yet.</summary>
        public int Pending => _fires.Reader.Count;

        public static Harness Create(string? throwFor = null) => new(throwFor);

        public void Start(params JobEntry[] jobs) => _loop = Scheduler.Start(jobs, _stop.Token);

        public async Task<(string Job, TriggerKind Trigger, DateTimeOffset At)> NextFireAsync()
            => await _fires.Reader.ReadAsync().AsTask().WaitAsync(Patience);

        /// <summary>Waits until every timer that fired was dealt with (re-armed), then sets the clock.</summary>
        public async Task AdvanceToAsync(DateTimeOffset at)
        {
            await SettledAsync();
            Clock.SetUtcNow(at);
        }

        /// <summary>
        /// Waits until the scheduler has dealt with every timer that fired and every fire it handed over (a fire can come
        /// from a pass a reschedule woke, with no timer firing): it has armed its timer again since.
        /// </summary>
        public Task SettledAsync()
        {
            var settled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void Check()
            {
                if (Clock.FiredTimers == 0 && Clock.Armings > Volatile.Read(ref _armingsAtLastFire))
                {
                    settled.TrySetResult();
                }
            }

            Clock.Changed += Check;
            Check();
            return settled.Task.WaitAsync(Patience).ContinueWith(
                t =>
                {
                    Clock.Changed -= Check;
                    t.GetAwaiter().GetResult();
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop.WaitAsync(Patience);
            _stop.Dispose();
        }
    }
}
