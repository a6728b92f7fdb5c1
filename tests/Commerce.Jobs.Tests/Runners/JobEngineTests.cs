using Commerce.Jobs.Tests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Tests.Runners;

public sealed class JobEngineTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Trigger_runs_the_job_once_and_the_monitor_shows_it()
    {
        var calls = 0;
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("purge", (ctx, ct) =>
        {
            Interlocked.Increment(ref calls);
            ctx.Log(JobLogLevel.Information, "purged 3 carts");
            return ValueTask.FromResult(JobResult.Success);
        }));

        sut.Engine.Trigger("purge");
        await sut.WaitForRunsAsync("purge", 1);

        Assert.Equal(1, calls);
        var status = sut.Engine.GetStatus("purge");
        Assert.Equal(JobState.Idle, status.State);
        Assert.Equal(JobOutcome.Succeeded, status.LastRun!.Outcome);
        Assert.Equal(TriggerKind.Manual, status.LastRun.Trigger);
        var history = await sut.Engine.GetRunsAsync("purge", 10, CancellationToken.None);
        Assert.Equal("purged 3 carts", Assert.Single(Assert.Single(history).Log).Message);
    }

    [Fact]
    public async Task Trigger_of_an_unknown_job_names_it()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("a", (_, _) => ValueTask.FromResult(JobResult.Success)));
        var ex = Assert.Throws<ArgumentException>(() => sut.Engine.Trigger("nope"));
        Assert.Contains("'nope'", ex.Message);
    }

    [Property(MaxTest = 30)]
    public Property Triggers_during_a_run_coalesce_into_exactly_one_follow_up_run()
        => Prop.ForAll(Gen.Choose(1, 50).ToArbitrary(), triggers => Task.Run(() => CoalesceAsync(triggers)).GetAwaiter().GetResult());

    [Property(MaxTest = 20)]
    public Property Runs_of_one_job_never_overlap()
        => Prop.ForAll(Gen.Choose(1, 200).ToArbitrary(), triggers => Task.Run(() => NoOverlapAsync(triggers)).GetAwaiter().GetResult());

    [Fact]
    public async Task Interval_schedule_fires_on_the_fake_clock()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("tick", (_, _) => ValueTask.FromResult(JobResult.Success))
            .Schedule(Schedule.Every(TimeSpan.FromMinutes(5))));

        Assert.Equal(TestEngine.Start.AddMinutes(5), sut.Engine.GetStatus("tick").NextFireTime);
        for (var i = 1; i <= 3; i++)
        {
            await sut.SettledAsync();
            sut.Time.Advance(TimeSpan.FromMinutes(5));
            await sut.WaitForRunsAsync("tick", i);
        }

        Assert.All(sut.Runs, r => Assert.Equal(TriggerKind.Schedule, r.Trigger));
        Assert.Equal(3, sut.Runs.Count);
    }

    [Fact]
    public async Task A_schedule_whose_next_fire_is_further_out_than_a_timer_can_wait_starts_and_shows_it()
    {
        // 29 February 2028 is more than the 49.7 days a timer can wait; the engine used to fail to start.
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("leap", (_, _) => ValueTask.FromResult(JobResult.Success))
            .Schedule(Schedule.Cron("0 0 29 2 *", TimeZoneInfo.Utc)));

        Assert.Equal(new DateTimeOffset(2028, 2, 29, 0, 0, 0, TimeSpan.Zero), sut.Engine.GetStatus("leap").NextFireTime);
        sut.Engine.Trigger("leap");
        await sut.WaitForRunsAsync("leap", 1);
    }

    [Fact]
    public async Task An_overrun_interval_produces_at_most_one_catch_up_run()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("slow", async (_, ct) =>
        {
            if (Interlocked.Increment(ref runs) == 1)
            {
                started.TrySetResult();
                await release.Task.WaitAsync(ct);
            }

            return JobResult.Success;
        }).Schedule(Schedule.Every(TimeSpan.FromMinutes(1))));

        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await started.Task.WaitAsync(Patience);

        // The run overruns ten intervals; each fire while it runs coalesces.
        for (var i = 0; i < 10; i++)
        {
            await sut.SettledAsync();
            sut.Time.Advance(TimeSpan.FromMinutes(1));
        }

        await sut.SettledAsync();
        Assert.True(sut.Engine.GetStatus("slow").NextFireTime > sut.Time.GetUtcNow());

        release.SetResult();
        await sut.WaitForRunsAsync("slow", 2);
        Assert.Equal(2, Volatile.Read(ref runs));
        Assert.Equal(TestEngine.Start.AddMinutes(12), sut.Engine.GetStatus("slow").NextFireTime);
    }

    [Fact]
    public async Task A_late_scheduler_fires_once_not_a_burst()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("tick", (_, _) => ValueTask.FromResult(JobResult.Success))
            .Schedule(Schedule.Every(TimeSpan.FromMinutes(1))));

        sut.Time.Advance(TimeSpan.FromHours(1));
        await sut.WaitForRunsAsync("tick", 1);
        await sut.SettledAsync();
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await sut.WaitForRunsAsync("tick", 2);
        Assert.Equal(2, sut.Runs.Count);
    }

    [Fact]
    public async Task After_runs_on_success_only_by_default_and_on_any_outcome_when_asked()
    {
        var fail = false;
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.AddJob("product-refresh", (_, _) => ValueTask.FromResult(fail ? JobResult.Failed("ERP down") : JobResult.Success));
            jobs.AddJob("rebuild-search-index", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.After("product-refresh"));
            jobs.AddJob("audit", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.After("product-refresh", AfterCondition.AnyOutcome));
        });

        sut.Engine.Trigger("product-refresh");
        await sut.WaitForAsync(r => r.Any(x => x.JobName == "rebuild-search-index") && r.Any(x => x.JobName == "audit"));
        Assert.Equal(TriggerKind.After, sut.Runs.Single(r => r.JobName == "rebuild-search-index").Trigger);

        fail = true;
        sut.Engine.Trigger("product-refresh");
        await sut.WaitForAsync(r => r.Count(x => x.JobName == "audit") == 2);
        Assert.Equal(1, sut.Runs.Count(r => r.JobName == "rebuild-search-index"));
    }

    [Fact]
    public async Task RunAsync_returns_the_value_and_runs_each_request()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("order-history", (ctx, _) =>
            ValueTask.FromResult(JobResult.Succeeded($"history of {ctx.GetParameters<string>()}"))).MaxConcurrency(4));

        var results = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => sut.Engine.RunAsync("order-history", $"c{i}", TimeSpan.FromSeconds(5), CancellationToken.None)));

        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"history of c{i}"), results.Select(r => (string)r.Value!));
        Assert.All(sut.Runs, r => Assert.Equal(TriggerKind.OnDemand, r.Trigger));
    }

    [Fact]
    public async Task RunAsync_times_out_on_the_fake_clock_and_cancels_the_run()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("order-history", async (_, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
            return JobResult.Success;
        }));

        var call = sut.Engine.RunAsync("order-history", null, TimeSpan.FromSeconds(5), CancellationToken.None);
        await started.Task.WaitAsync(Patience);
        sut.Time.Advance(TimeSpan.FromSeconds(5));

        var ex = await Assert.ThrowsAsync<TimeoutException>(() => call);
        Assert.Contains("'order-history'", ex.Message);
        await sut.WaitForRunsAsync("order-history", 1);
        Assert.Equal(JobOutcome.Cancelled, sut.Runs.Single().Outcome);
    }

    [Fact]
    public async Task Pause_holds_triggers_and_resume_runs_once()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", (_, _) => ValueTask.FromResult(JobResult.Success)));
        sut.Engine.Pause("export");
        for (var i = 0; i < 5; i++)
        {
            sut.Engine.Trigger("export");
        }

        Assert.Equal(JobState.Paused, sut.Engine.GetStatus("export").State);
        Assert.Empty(sut.Runs);
        sut.Engine.Resume("export");
        await sut.WaitForRunsAsync("export", 1);
        sut.Engine.Trigger("export");
        await sut.WaitForRunsAsync("export", 2);
        Assert.Equal(2, sut.Runs.Count);
    }

    [Fact]
    public async Task A_disabled_job_ignores_signals_and_refuses_manual_runs()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("order-submit", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.Automatic()));
        sut.Engine.Disable("order-submit");

        sut.Engine.Signal("order-submit");
        Assert.Throws<InvalidOperationException>(() => sut.Engine.Trigger("order-submit"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => sut.Engine.RunAsync("order-submit", null, TimeSpan.FromSeconds(1), CancellationToken.None));
        Assert.Equal(JobState.Disabled, sut.Engine.GetStatus("order-submit").State);

        sut.Engine.Enable("order-submit");
        sut.Engine.Signal("order-submit");
        await sut.WaitForRunsAsync("order-submit", 1);
        Assert.Equal(TriggerKind.Automatic, Assert.Single(sut.Runs).Trigger);
    }

    [Fact]
    public async Task A_failed_run_notifies_with_job_host_time_and_error()
    {
        var notifier = new RecordingNotifier();
        await using var sut = TestEngine.Create(
            jobs =>
            {
                jobs.Configure(o => o.HostName = "web-01");
                jobs.AddJob("order-export", (_, _) => throw new InvalidOperationException("ERP refused the login"));
            },
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        sut.Engine.Trigger("order-export");
        await sut.WaitForRunsAsync("order-export", 1);
        await sut.NotifiedAsync();

        var failure = Assert.Single(notifier.Failures);
        Assert.Equal("order-export", failure.JobName);
        Assert.Equal("web-01", failure.HostName);
        Assert.Equal(TestEngine.Start, failure.Time);
        Assert.Contains("ERP refused the login", failure.Error);
        Assert.Equal(1, sut.Engine.GetStatus("order-export").ConsecutiveFailures);
    }

    [Fact]
    public async Task Stopping_lets_a_run_finish_within_the_grace_period()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sut = TestEngine.Create(jobs => jobs.AddJob("upload", async (_, _) =>
        {
            started.TrySetResult();
            await release.Task;
            return JobResult.Success;
        }));

        sut.Engine.Trigger("upload");
        await started.Task.WaitAsync(Patience);
        var stop = sut.Engine.StopAsync(CancellationToken.None);
        Assert.False(stop.IsCompleted);
        Assert.Throws<InvalidOperationException>(() => sut.Engine.RunAsync("upload", null, TimeSpan.FromSeconds(1), CancellationToken.None).GetAwaiter().GetResult());

        release.SetResult();
        await stop.WaitAsync(Patience);
        Assert.Equal(JobOutcome.Succeeded, Assert.Single(sut.Runs).Outcome);
        await sut.DisposeAsync();
    }

    [Fact]
    public async Task Stopping_cancels_runs_still_going_after_the_grace_period_and_records_them_cancelled()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sut = TestEngine.Create(jobs =>
        {
            jobs.Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
            jobs.AddJob("upload", async (_, ct) =>
            {
                started.TrySetResult();
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                }
                finally
                {
                    cancelled.TrySetResult();
                }

                return JobResult.Success;
            });
        });

        sut.Engine.Trigger("upload");
        await started.Task.WaitAsync(Patience);
        var stop = sut.Engine.StopAsync(CancellationToken.None);

        // Drive the fake clock in small steps until the grace period has passed from wherever the engine armed it and
        // the run is cancelled, then leave it: the run returns at once and the stop waits for it (bounded generously: the
        // bound is real time, and a busy machine may take long to get there). Driven on, the clock would take the stop
        // past its last second while the run is being recorded, and the stop would leave without it.
        var deadline = Environment.TickCount64 + (long)TimeSpan.FromMinutes(2).TotalMilliseconds;
        while (!stop.IsCompleted && !cancelled.Task.IsCompleted)
        {
            Assert.True(Environment.TickCount64 < deadline, "the engine did not cancel the run after its grace period");
            sut.Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        await stop.WaitAsync(Patience);
        Assert.True(sut.Time.GetUtcNow() >= TestEngine.Start.AddSeconds(10));

        Assert.Equal(JobOutcome.Cancelled, Assert.Single(sut.Runs).Outcome);
        Assert.NotEqual(JobState.Running, sut.Engine.GetStatus("upload").State);
        await sut.DisposeAsync();
    }

    [Fact]
    public async Task Triggers_before_start_run_when_the_engine_starts()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("early", (_, _) => ValueTask.FromResult(JobResult.Success)), start: false);
        sut.Engine.Trigger("early");
        sut.Engine.Trigger("early");
        Assert.Equal(JobState.Queued, sut.Engine.GetStatus("early").State);
        sut.Engine.Start();
        await sut.WaitForRunsAsync("early", 1);
        Assert.Single(sut.Runs);
    }

    private static async Task<bool> CoalesceAsync(int triggers)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var runs = 0;
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("order-submit", async (_, _) =>
        {
            if (Interlocked.Increment(ref runs) == 1)
            {
                started.TrySetResult();
                await release.Task;
            }

            return JobResult.Success;
        }).Schedule(Schedule.Automatic(0)));

        sut.Engine.Signal("order-submit");
        await started.Task.WaitAsync(Patience);
        for (var i = 0; i < triggers; i++)
        {
            sut.Engine.Signal("order-submit");
        }

        release.SetResult();
        await sut.WaitForRunsAsync("order-submit", 2);

        // Nothing else is pending: a further trigger is the only way to a third run.
        var idle = sut.Engine.GetStatus("order-submit").State;
        sut.Engine.Signal("order-submit");
        await sut.WaitForRunsAsync("order-submit", 3);
        return idle == JobState.Idle && Volatile.Read(ref runs) == 3;
    }

    private static async Task<bool> NoOverlapAsync(int triggers)
    {
        var running = 0;
        var overlapped = false;
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("inventory-upload", async (_, _) =>
        {
            if (Interlocked.Increment(ref running) > 1)
            {
                overlapped = true;
            }

            await Task.Yield();
            Interlocked.Decrement(ref running);
            return JobResult.Success;
        }));

        await Parallel.ForAsync(0, triggers, (_, _) =>
        {
            sut.Engine.Trigger("inventory-upload");
            return ValueTask.CompletedTask;
        });

        sut.Engine.Trigger("inventory-upload");
        await WaitUntilAsync(() => sut.Engine.GetStatus("inventory-upload").State == JobState.Idle && sut.Runs.Count >= 1);
        return !overlapped && sut.Runs.Count <= triggers + 1;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        // Bounded spin on real scheduling (yields, never sleeps); conditions here settle within microseconds.
        var deadline = Environment.TickCount64 + 30_000;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException("The condition did not hold within 30 s.");
            }

            await Task.Yield();
        }
    }
}
