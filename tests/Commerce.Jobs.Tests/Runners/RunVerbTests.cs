using System.Collections.Concurrent;
using System.Threading.Channels;
using Commerce.Jobs.Tests.TestSupport;

namespace Commerce.Jobs.Tests.Runners;

/// <summary>
/// One verb per purpose: <see cref="IJobTrigger.Signal"/>, <see cref="IJobTrigger.Trigger"/>,
/// <see cref="IJobTrigger.Resubmit"/> (coalesced), <see cref="IJobRunner.Enqueue"/>, <see cref="IJobRunner.EnqueueAsync"/>
/// (queued with an id, the latter with back-pressure), <see cref="IJobRunner.RunAsync"/> (awaited), each with its own
/// trigger kind; and <see cref="IJobMonitor.WaitForIdleAsync"/> to wait for the runs that have no handle.
/// </summary>
public sealed class RunVerbTests
{
    private const string Job = "order-import";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public static TheoryData<string> NotAutomatic => ["interval", "daily", "manual", "after", "cron"];

    [Theory]
    [MemberData(nameof(NotAutomatic))]
    public async Task Signal_on_a_job_that_is_not_automatic_throws_naming_the_job_its_schedule_and_Trigger(string kind)
    {
        var schedule = kind switch
        {
            "interval" => Schedule.Every(TimeSpan.FromMinutes(5)),
            "daily" => Schedule.DailyAt(new TimeOnly(2, 0), TimeZoneInfo.Utc),
            "manual" => Schedule.Manual(),
            "after" => Schedule.After("product-refresh"),
            _ => Schedule.Cron("*/5 * * * *"),
        };
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.AddJob("product-refresh", (_, _) => ValueTask.FromResult(JobResult.Success));
            jobs.AddJob(Job, (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(schedule);
        });

        var ex = Assert.Throws<InvalidOperationException>(() => sut.Engine.Signal("ORDER-IMPORT"));

        Assert.Contains($"'{Job}'", ex.Message);
        Assert.Contains(schedule.ToString(), ex.Message);
        Assert.Contains("not automatic", ex.Message);
        Assert.Contains("IJobTrigger.Trigger", ex.Message);
        Assert.Equal(JobState.Idle, sut.Engine.GetStatus(Job).State);
        await sut.Engine.WaitForIdleAsync(Job, CancellationToken.None).WaitAsync(Patience);
        Assert.Empty(await sut.Engine.GetRunsAsync(Job, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Signal_on_an_unknown_job_stays_an_ArgumentException()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, (_, _) => ValueTask.FromResult(JobResult.Success)));

        var ex = Assert.Throws<ArgumentException>(() => sut.Engine.Signal("nope"));
        Assert.Equal("jobName", ex.ParamName);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Signal_runs_an_automatic_job_and_one_whose_schedule_combines_automatic(bool combined)
    {
        var schedule = combined ? Schedule.Every(TimeSpan.FromHours(1)).Or(Schedule.Automatic(0)) : Schedule.Automatic(0);
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(schedule));

        sut.Engine.Signal(Job);
        await sut.Engine.WaitForIdleAsync(Job, CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(TriggerKind.Automatic, Assert.Single(await sut.Engine.GetRunsAsync(Job, 10, CancellationToken.None)).Trigger);
    }

    [Fact]
    public async Task Each_verb_records_its_own_trigger_kind()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.Automatic(0)));
        var idle = () => sut.Engine.WaitForIdleAsync(Job, CancellationToken.None).WaitAsync(Patience);

        sut.Engine.Signal(Job);
        await idle();
        sut.Engine.Trigger(Job);
        await idle();
        sut.Engine.Resubmit(Job);
        await idle();
        await sut.Engine.Enqueue(Job, null).Completion.WaitAsync(Patience);
        await (await sut.Engine.EnqueueAsync(Job, null, CancellationToken.None)).Completion.WaitAsync(Patience);
        await sut.Engine.RunAsync(Job, null, Patience, CancellationToken.None);
        await idle();

        var history = await sut.Engine.GetRunsAsync(Job, 10, CancellationToken.None);
        Assert.Equal(
            [TriggerKind.Automatic, TriggerKind.Manual, TriggerKind.Resubmit, TriggerKind.Queued, TriggerKind.Queued, TriggerKind.OnDemand],
            history.Reverse().Select(r => r.Trigger));
    }

    [Fact]
    public async Task RunAsync_on_a_failing_job_throws_JobRunFailedException_with_the_result()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, (_, _) => ValueTask.FromResult(JobResult.Failed("ERP down"))));

        var ex = await Assert.ThrowsAsync<JobRunFailedException>(() => sut.Engine.RunAsync(Job, null, Patience, CancellationToken.None));

        Assert.Equal(Job, ex.JobName);
        Assert.Equal("ERP down", ex.Message);
        Assert.Equal(JobOutcome.Failed, ex.Result.Outcome);
        Assert.Equal("ERP down", ex.Result.Error);
        var run = Assert.Single(await sut.Engine.GetRunsAsync(Job, 10, CancellationToken.None));
        Assert.Equal(ex.RunId, run.RunId);
        Assert.Equal(TriggerKind.OnDemand, run.Trigger);
    }

    [Fact]
    public async Task RunAsync_on_a_job_that_throws_gives_the_exception_as_the_error()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, (_, _) => throw new InvalidOperationException("no login")));

        var ex = await Assert.ThrowsAsync<JobRunFailedException>(() => sut.Engine.RunAsync(Job, null, Patience, CancellationToken.None));

        Assert.Equal("InvalidOperationException: no login", ex.Message);
        Assert.Equal(JobOutcome.Failed, ex.Result.Outcome);
    }

    [Fact]
    public async Task RunAsync_returns_a_partially_succeeded_result_and_Enqueue_completes_with_a_failed_one()
    {
        var fail = false;
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, (_, _) => ValueTask.FromResult(fail ? JobResult.Failed("ERP down") : JobResult.PartiallySucceeded("2 skipped"))));

        var partial = await sut.Engine.RunAsync(Job, null, Patience, CancellationToken.None);
        fail = true;
        var failed = await sut.Engine.Enqueue(Job, null).Completion.WaitAsync(Patience);

        Assert.Equal((JobOutcome.PartiallySucceeded, "2 skipped"), (partial.Outcome, partial.Error));
        Assert.Equal((JobOutcome.Failed, "ERP down"), (failed.Outcome, failed.Error));
    }

    [Fact]
    public async Task EnqueueAsync_waits_while_100_runs_wait_and_callers_are_queued_in_order_as_room_frees()
    {
        var gate = new SemaphoreSlim(0);
        var started = Channel.CreateUnbounded<int>();
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, async (ctx, ct) =>
        {
            started.Writer.TryWrite(ctx.GetParameters<int>());
            await gate.WaitAsync(ct);
            return JobResult.Success;
        }).KeepHistory(maxArchivedRuns: 200, retention: TimeSpan.FromDays(1)));
        using var releaseOnExit = new Finally(() => gate.Release(1_000));   // a failed assertion must not leave a run blocked at disposal

        var handles = new List<JobRunHandle> { sut.Engine.Enqueue(Job, 0) };
        Assert.Equal(0, await started.Reader.ReadAsync().AsTask().WaitAsync(Patience));
        handles.AddRange(Enumerable.Range(1, 100).Select(i => sut.Engine.Enqueue(Job, i)));
        var first = sut.Engine.EnqueueAsync(Job, 101, CancellationToken.None).AsTask();
        var second = sut.Engine.EnqueueAsync(Job, 102, CancellationToken.None).AsTask();

        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);
        Assert.Contains("100 runs waiting", Assert.Throws<InvalidOperationException>(() => sut.Engine.Enqueue(Job, -1)).Message);

        // One run ends: its place goes to the first caller only (the next run holds the gate, so no other place frees).
        gate.Release();
        handles.Add(await first.WaitAsync(Patience));
        Assert.Equal(1, await started.Reader.ReadAsync().AsTask().WaitAsync(Patience));
        Assert.False(second.IsCompleted);
        Assert.Contains("100 runs waiting", Assert.Throws<InvalidOperationException>(() => sut.Engine.Enqueue(Job, -1)).Message);

        gate.Release(1_000);
        handles.Add(await second.WaitAsync(Patience));
        await Task.WhenAll(handles.Select(h => h.Completion)).WaitAsync(Patience);
        await sut.Engine.WaitForIdleAsync(Job, CancellationToken.None).WaitAsync(Patience);

        started.Writer.Complete();
        var order = new List<int> { 0, 1 };
        await foreach (var parameter in started.Reader.ReadAllAsync())
        {
            order.Add(parameter);
        }

        Assert.Equal(Enumerable.Range(0, 103), order);
        var history = await sut.Engine.GetRunsAsync(Job, 200, CancellationToken.None);
        Assert.Equal(103, history.Count);
        Assert.All(history, r => Assert.Equal(TriggerKind.Queued, r.Trigger));
        Assert.Equal(handles.Select(h => h.RunId).Order(), history.Select(r => r.RunId).Order());
    }

    [Fact]
    public async Task EnqueueAsync_cancelled_while_waiting_throws_and_queues_nothing()
    {
        var parameters = new ConcurrentQueue<string>();
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, (ctx, _) =>
        {
            parameters.Enqueue(ctx.GetParameters<string>()!);
            return ValueTask.FromResult(JobResult.Success);
        }).KeepHistory(maxArchivedRuns: 200, retention: TimeSpan.FromDays(1)));
        sut.Engine.Pause(Job);
        var queued = Enumerable.Range(0, 100).Select(i => sut.Engine.Enqueue(Job, $"run {i}")).ToList();
        using var cancel = new CancellationTokenSource();

        var waiting = sut.Engine.EnqueueAsync(Job, "cancelled", cancel.Token).AsTask();
        Assert.False(waiting.IsCompleted);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Patience));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sut.Engine.EnqueueAsync(Job, "cancelled before", cancel.Token).AsTask().WaitAsync(Patience));
        sut.Engine.Resume(Job);
        await Task.WhenAll(queued.Select(h => h.Completion)).WaitAsync(Patience);
        await sut.Engine.WaitForIdleAsync(Job, CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"run {i}"), parameters);
        Assert.Equal(100, (await sut.Engine.GetRunsAsync(Job, 200, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task EnqueueAsync_token_cancels_only_the_wait_never_the_run_once_queued()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, (_, _) => ValueTask.FromResult(JobResult.Success)).KeepHistory(maxArchivedRuns: 200, retention: TimeSpan.FromDays(1)));
        sut.Engine.Pause(Job);
        var queued = Enumerable.Range(0, 100).Select(_ => sut.Engine.Enqueue(Job, null)).ToList();
        using var cancel = new CancellationTokenSource();
        var waiting = sut.Engine.EnqueueAsync(Job, null, cancel.Token).AsTask();

        sut.Engine.Resume(Job);
        var handle = await waiting.WaitAsync(Patience);
        await cancel.CancelAsync();

        Assert.Equal(JobOutcome.Succeeded, (await handle.Completion.WaitAsync(Patience)).Outcome);
        await Task.WhenAll(queued.Select(h => h.Completion)).WaitAsync(Patience);
        Assert.Contains(handle.RunId, (await sut.Engine.GetRunsAsync(Job, 200, CancellationToken.None)).Select(r => r.RunId));
    }

    [Fact]
    public async Task EnqueueAsync_on_a_disabled_job_throws_at_once_and_callers_waiting_are_refused_when_it_is_disabled()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, (_, _) => ValueTask.FromResult(JobResult.Success)));
        sut.Engine.Pause(Job);
        var queued = Enumerable.Range(0, 100).Select(_ => sut.Engine.Enqueue(Job, null)).ToList();
        var waiting = sut.Engine.EnqueueAsync(Job, null, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        sut.Engine.Disable(Job);

        Assert.Contains("disabled", (await Assert.ThrowsAsync<InvalidOperationException>(() => waiting.WaitAsync(Patience))).Message);
        Assert.All(queued, h => Assert.True(h.Completion.IsFaulted));
        var refused = Assert.Throws<InvalidOperationException>(() => { _ = sut.Engine.EnqueueAsync(Job, null, CancellationToken.None).AsTask(); });
        Assert.Contains($"'{Job}' is disabled", refused.Message);
        await sut.Engine.WaitForIdleAsync(Job, CancellationToken.None).WaitAsync(Patience);
        Assert.Empty(await sut.Engine.GetRunsAsync(Job, 10, CancellationToken.None));
    }

    [Fact]
    public async Task EnqueueAsync_callers_waiting_when_the_engine_stops_are_refused_and_no_new_one_waits()
    {
        var sut = TestEngine.Create(jobs => jobs.AddJob(Job, (_, _) => ValueTask.FromResult(JobResult.Success)));
        sut.Engine.Pause(Job);
        _ = Enumerable.Range(0, 100).Select(_ => sut.Engine.Enqueue(Job, null)).ToList();
        var waiting = sut.Engine.EnqueueAsync(Job, null, CancellationToken.None).AsTask();

        await sut.DisposeAsync();

        Assert.Contains("stopping", (await Assert.ThrowsAsync<InvalidOperationException>(() => waiting.WaitAsync(Patience))).Message);
        Assert.Throws<InvalidOperationException>(() => { _ = sut.Engine.EnqueueAsync(Job, null, CancellationToken.None).AsTask(); });
    }

    [Fact]
    public async Task WaitForIdleAsync_after_a_signal_completes_only_once_the_run_is_recorded()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, async (_, _) =>
        {
            await gate.Task;
            return JobResult.Success;
        }).Schedule(Schedule.Automatic(0)));
        using var releaseOnExit = new Finally(() => gate.TrySetResult());   // a failed assertion must not leave a run blocked at disposal

        sut.Engine.Signal(Job);
        var idle = sut.Engine.WaitForIdleAsync(Job, CancellationToken.None);
        Assert.False(idle.IsCompleted);

        gate.SetResult();
        await idle.WaitAsync(Patience);
        Assert.Single(await sut.Engine.GetRunsAsync(Job, 10, CancellationToken.None));
        Assert.Equal(JobState.Idle, sut.Engine.GetStatus(Job).State);
        Assert.Equal(1, sut.Engine.GetStatus(Job).RunCount);
    }

    [Fact]
    public async Task WaitForIdleAsync_waits_for_the_coalesced_follow_up_and_a_run_held_by_a_pause()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, async (_, _) =>
        {
            started.TrySetResult();
            await gate.Task;
            return JobResult.Success;
        }));
        using var releaseOnExit = new Finally(() => gate.TrySetResult());   // a failed assertion must not leave a run blocked at disposal

        sut.Engine.Trigger(Job);
        await started.Task.WaitAsync(Patience);
        sut.Engine.Trigger(Job);   // coalesced into one follow-up
        sut.Engine.Pause(Job);     // which the pause holds
        var idle = sut.Engine.WaitForIdleAsync(Job, CancellationToken.None);
        gate.SetResult();
        await sut.WaitForRunsAsync(Job, 1);

        Assert.False(idle.IsCompleted);
        Assert.Equal(JobState.Paused, sut.Engine.GetStatus(Job).State);
        sut.Engine.Resume(Job);
        await idle.WaitAsync(Patience);
        Assert.Equal(2, (await sut.Engine.GetRunsAsync(Job, 10, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task WaitForIdleAsync_after_a_scheduled_fire_completes_once_the_run_is_recorded()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, async (_, _) =>
        {
            started.TrySetResult();
            await gate.Task;
            return JobResult.Success;
        }).Schedule(Schedule.Every(TimeSpan.FromMinutes(5))));
        using var releaseOnExit = new Finally(() => gate.TrySetResult());   // a failed assertion must not leave a run blocked at disposal

        await sut.SettledAsync();
        sut.Time.Advance(TimeSpan.FromMinutes(5));
        await started.Task.WaitAsync(Patience);
        var idle = sut.Engine.WaitForIdleAsync(Job, CancellationToken.None);
        Assert.False(idle.IsCompleted);

        gate.SetResult();
        await idle.WaitAsync(Patience);
        Assert.Equal(TriggerKind.Schedule, Assert.Single(await sut.Engine.GetRunsAsync(Job, 10, CancellationToken.None)).Trigger);
    }

    [Fact]
    public async Task WaitForIdleAsync_right_after_each_trigger_sees_its_run_recorded()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.Automatic(0)));

        for (var i = 1; i <= 50; i++)
        {
            if (i % 2 == 0)
            {
                sut.Engine.Signal(Job);
            }
            else
            {
                sut.Engine.Trigger(Job);
            }

            await sut.Engine.WaitForIdleAsync(Job, CancellationToken.None).WaitAsync(Patience);
            Assert.Equal(i, (await sut.Engine.GetRunsAsync(Job, 100, CancellationToken.None)).Count);
        }
    }

    [Fact]
    public async Task WaitForIdleAsync_is_cancellable_and_completes_at_once_for_an_idle_job()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sut = TestEngine.Create(jobs => jobs.AddJob(Job, async (_, _) =>
        {
            await gate.Task;
            return JobResult.Success;
        }));
        using var releaseOnExit = new Finally(() => gate.TrySetResult());   // a failed assertion must not leave a run blocked at disposal
        Assert.True(sut.Engine.WaitForIdleAsync(Job, CancellationToken.None).IsCompletedSuccessfully);
        Assert.Equal("jobName", Assert.Throws<ArgumentException>(() => { _ = sut.Engine.WaitForIdleAsync("nope", CancellationToken.None); }).ParamName);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        Assert.True(sut.Engine.WaitForIdleAsync(Job, cancelled.Token).IsCanceled);

        sut.Engine.Trigger(Job);
        using var cancel = new CancellationTokenSource();
        var waiting = sut.Engine.WaitForIdleAsync(Job, cancel.Token);
        var other = sut.Engine.WaitForIdleAsync(Job, CancellationToken.None);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Patience));
        Assert.False(other.IsCompleted);
        gate.SetResult();
        await other.WaitAsync(Patience);
        Assert.Single(await sut.Engine.GetRunsAsync(Job, 10, CancellationToken.None));
    }

    /// <summary>Runs an action when disposed (declared after the engine, so it runs before the engine stops).</summary>
    private sealed class Finally(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}
