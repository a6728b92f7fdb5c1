using Commerce.Jobs.History;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.EntitySync;
using Commerce.Jobs.Tests.TestSupport;

namespace Commerce.Jobs.Tests.Runners;

/// <summary>Stopping is bounded: a run that ignores cancellation is abandoned after the grace period and a last second, recorded Cancelled.</summary>
public sealed class JobEngineShutdownTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Stopping_abandons_runs_that_ignore_cancellation_records_them_cancelled_and_answers_their_callers()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var bothStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sut = TestEngine.Create(jobs =>
        {
            jobs.Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
            jobs.AddJob("upload", async (ctx, _) =>
            {
                ctx.Log(JobLogLevel.Information, "uploading a 45 s batch");
                if (Interlocked.Increment(ref started) == 2)
                {
                    bothStarted.TrySetResult();
                }

                await release.Task; // ignores cancellation
                return JobResult.Success;
            }).MaxConcurrency(2);
        });

        var awaited = sut.Engine.RunAsync("upload", null, Timeout.InfiniteTimeSpan, CancellationToken.None);
        var handle = sut.Engine.Enqueue("upload", null);
        await bothStarted.Task.WaitAsync(Patience);

        var stop = sut.Engine.StopAsync(CancellationToken.None);
        await AdvanceUntilAsync(sut, stop);

        Assert.True(sut.Time.GetUtcNow() >= TestEngine.Start.AddSeconds(3), "the grace period was honoured");
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => awaited.WaitAsync(Patience));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handle.Completion.WaitAsync(Patience));

        var history = await sut.Engine.GetRunsAsync("upload", 10, CancellationToken.None);
        Assert.Equal(2, history.Count);
        Assert.All(history, r =>
        {
            Assert.Equal(JobOutcome.Cancelled, r.Outcome);
            Assert.Contains("abandoned", r.Error);
            Assert.Equal("uploading a 45 s batch", Assert.Single(r.Log).Message);
        });
        Assert.Contains(handle.RunId, history.Select(r => r.RunId));
        Assert.NotEqual(JobState.Running, sut.Engine.GetStatus("upload").State);

        // The abandoned runs may return later; the engine stays stopped and disposes cleanly.
        release.SetResult();
        await sut.DisposeAsync().AsTask().WaitAsync(Patience);
    }

    [Fact]
    public async Task The_hosts_stop_token_cuts_the_grace_period_short_and_a_run_that_ignores_it_is_abandoned()
    {
        // A clock that jumps to each timer as it is made: had the engine waited for the 10-minute grace period, the
        // clock would read 10 minutes later.
        var time = new AutoAdvanceTimeProvider(TestEngine.Start);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.Configure(o =>
                {
                    o.ShutdownTimeout = TimeSpan.FromMinutes(10);
                    o.ControlRefreshInterval = Timeout.InfiniteTimeSpan;
                });
                jobs.AddJob("upload", async (_, _) =>
                {
                    started.TrySetResult();
                    await release.Task;
                    return JobResult.Success;
                });
            },
            time);

        sut.Engine.Trigger("upload");
        await started.Task.WaitAsync(Patience);
        await sut.Engine.StopAsync(new CancellationToken(canceled: true)).WaitAsync(Patience);

        Assert.True(sut.Time.GetUtcNow() <= TestEngine.Start + JobEngine.LastSecond, "the host's token, not the grace period, ended the wait");
        Assert.Equal(JobOutcome.Cancelled, Assert.Single(await sut.Engine.GetRunsAsync("upload", 10, CancellationToken.None)).Outcome);
        release.SetResult();
        await sut.DisposeAsync().AsTask().WaitAsync(Patience);
    }

    [Fact]
    public async Task A_cancellation_callback_that_blocks_does_not_hold_the_stop()
    {
        using var unblock = new ManualResetEventSlim();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sut = TestEngine.Create(jobs =>
        {
            jobs.Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
            jobs.AddJob("upload", async (_, ct) =>
            {
                using var registration = ct.Register(() => unblock.Wait());
                started.TrySetResult();
                await release.Task;
                return JobResult.Success;
            });
        });

        try
        {
            sut.Engine.Trigger("upload");
            await started.Task.WaitAsync(Patience);
            var stop = sut.Engine.StopAsync(CancellationToken.None);
            await AdvanceUntilAsync(sut, stop);

            Assert.Equal(JobOutcome.Cancelled, Assert.Single(await sut.Engine.GetRunsAsync("upload", 10, CancellationToken.None)).Outcome);
        }
        finally
        {
            unblock.Set();
            release.TrySetResult();
        }

        await sut.DisposeAsync().AsTask().WaitAsync(Patience);
    }

    [Fact]
    public async Task A_run_being_recorded_when_the_stop_gives_up_keeps_its_worker_and_its_caller_gets_the_real_outcome()
    {
        var write = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (store, faults) = Commerce.Jobs.Tests.EntitySync.FaultyStore.Create(new InMemoryJobStore());
        faults.Hold(nameof(IJobStore.AddRunAsync), write.Task, writing);
        var sut = TestEngine.Create(jobs =>
        {
            jobs.Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
            jobs.UseStore(_ => store);
            jobs.AddJob("upload", (_, _) => ValueTask.FromResult(JobResult.Success));
        });

        var awaited = sut.Engine.RunAsync("upload", null, Timeout.InfiniteTimeSpan, CancellationToken.None);
        await writing.Task.WaitAsync(Patience);
        var stop = sut.Engine.StopAsync(CancellationToken.None);
        await AdvanceUntilAsync(sut, stop);

        // The stop gave up on the run's record write; the run is its worker's: once written, it is completed and
        // its caller answered with what it was, never told "cancelled" for a run recorded as succeeded.
        Assert.False(awaited.IsCompleted);
        write.SetResult();
        Assert.Equal(JobOutcome.Succeeded, (await awaited.WaitAsync(Patience)).Outcome);
        Assert.Equal(JobOutcome.Succeeded, Assert.Single(await store.GetRunsAsync("upload", 10, CancellationToken.None)).Outcome);
        Assert.NotEqual(JobState.Running, sut.Engine.GetStatus("upload").State);
        await sut.DisposeAsync().AsTask().WaitAsync(Patience);
    }

    [Fact]
    public async Task A_cancelled_run_still_being_recorded_when_the_stop_stops_waiting_for_cancelled_runs_is_recorded_before_the_stop_goes_on()
    {
        var write = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var save = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var saving = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (store, faults) = Commerce.Jobs.Tests.EntitySync.FaultyStore.Create(new InMemoryJobStore());
        faults.Hold(nameof(IJobStore.AddRunAsync), write.Task, writing);
        faults.Hold(StoreCall.SetJobControls, save.Task, saving);
        var time = new WatchedTimeProvider(TestEngine.Start);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.UseStore(_ => store);
                jobs.Configure(o =>
                {
                    o.ShutdownTimeout = TimeSpan.FromSeconds(3);
                    o.ControlRefreshInterval = Timeout.InfiniteTimeSpan;
                });
                jobs.AddJob("upload", async (_, ct) =>
                {
                    started.TrySetResult();
                    await Task.Delay(Timeout.InfiniteTimeSpan, ct); // honours cancellation
                    return JobResult.Success;
                });
            },
            time);

        sut.Engine.Trigger("upload");
        await started.Task.WaitAsync(Patience);
        sut.Engine.Pause("upload"); // an operator change the stop saves after the runs (held in the store)
        await saving.Task.WaitAsync(Patience);

        // The host's token cancels the run at once; the run returns and its record is being written (held) while the
        // engine waits half of the last second for the cancelled runs to return.
        var half = JobEngine.LastSecond / 2;
        var stop = sut.Engine.StopAsync(new CancellationToken(canceled: true));
        await writing.Task.WaitAsync(Patience);
        await time.WhenArmedAsync(half, 1);
        time.Advance(half + (half / 2));

        // That half is over, the deadline (a quarter later) is not: the stop waits for the record until the deadline,
        // then for the operator change (the same deadline: a second timer for the quarter left). The bug: it went on to
        // the operator change without the record, and returned without it.
        await time.WhenArmedAsync(half / 2, 1);
        write.SetResult();
        await time.WhenArmedAsync(half / 2, 2);
        Assert.Equal(JobOutcome.Cancelled, Assert.Single(sut.Runs).Outcome);
        Assert.False(stop.IsCompleted);

        save.SetResult();
        await stop.WaitAsync(Patience);
        Assert.Equal(JobOutcome.Cancelled, Assert.Single(await store.GetRunsAsync("upload", 10, CancellationToken.None)).Outcome);
        await sut.DisposeAsync().AsTask().WaitAsync(Patience);
    }

    [Fact]
    public async Task A_control_refresh_stuck_in_the_store_whose_cancellation_blocks_does_not_hold_the_stop_nor_the_dispose()
    {
        var (store, hang) = HangingStore.Create(new InMemoryJobStore());
        using var unblock = hang;
        var time = new WatchedTimeProvider(TestEngine.Start);
        var refresh = TimeSpan.FromSeconds(5);
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.UseStore(_ => store);
                jobs.Configure(o =>
                {
                    o.ShutdownTimeout = TimeSpan.FromSeconds(3);
                    o.ControlRefreshInterval = refresh;
                });
                jobs.AddJob("upload", (_, _) => ValueTask.FromResult(JobResult.Success));
            },
            time);

        // The control refresh is inside the store read when the host stops: the read ignores its token, and the token's
        // cancellation callback blocks (a driver's cancel request to a database it cannot reach).
        var held = hang.Hold(StoreCall.GetJobControls);
        await time.WhenArmedAsync(refresh, 1);
        time.Advance(refresh);
        await held;

        var stop = sut.Engine.StopAsync(CancellationToken.None);
        await AdvanceUntilAsync(sut, stop);
        await sut.Engine.DisposeAsync().AsTask().WaitAsync(Patience);

        Assert.True(sut.Time.GetUtcNow() >= TestEngine.Start + refresh + TimeSpan.FromSeconds(3), "the grace period was given to the refresh");
        await sut.DisposeAsync().AsTask().WaitAsync(Patience);
    }

    [Fact]
    public async Task Store_calls_stuck_at_stop_are_not_awaited_past_the_deadline()
    {
        var (store, hang) = HangingStore.Create(new InMemoryJobStore());
        using var unblock = hang;
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sut = TestEngine.Create(jobs =>
        {
            jobs.UseStore(_ => store);
            jobs.Configure(o =>
            {
                o.ShutdownTimeout = TimeSpan.FromSeconds(3);
                o.ControlRefreshInterval = Timeout.InfiniteTimeSpan;
            });
            jobs.AddJob("upload", async (_, _) =>
            {
                started.TrySetResult();
                await release.Task; // ignores cancellation
                return JobResult.Success;
            });
            jobs.AddJob("tick", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.Every(TimeSpan.FromSeconds(5)));
        });

        try
        {
            // At stop: a timed occurrence's claim, an operator change and (once abandoned) the run's record hang in the store.
            var claim = hang.Hold(nameof(IJobStore.TryClaimOccurrenceAsync));
            var control = hang.Hold(StoreCall.SetJobControls);
            var record = hang.Hold(nameof(IJobStore.AddRunAsync));
            sut.Time.Advance(TimeSpan.FromSeconds(5));
            await claim;
            sut.Engine.Pause("tick");
            await control;
            sut.Engine.Trigger("upload");
            await started.Task.WaitAsync(Patience);

            var stop = sut.Engine.StopAsync(CancellationToken.None);
            await AdvanceUntilAsync(sut, stop);

            await record;
            Assert.DoesNotContain(sut.Runs, r => r.JobName == "tick");
        }
        finally
        {
            release.TrySetResult();
        }

        await sut.DisposeAsync().AsTask().WaitAsync(Patience);
    }

    [Fact]
    public async Task DisposeAsync_while_stopping_awaits_the_same_bounded_stop()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sut = TestEngine.Create(jobs =>
        {
            jobs.Configure(o => o.ShutdownTimeout = TimeSpan.FromSeconds(3));
            jobs.AddJob("upload", async (_, _) =>
            {
                started.TrySetResult();
                await release.Task; // ignores cancellation
                return JobResult.Success;
            });
        });

        try
        {
            sut.Engine.Trigger("upload");
            await started.Task.WaitAsync(Patience);
            var stop = sut.Engine.StopAsync(CancellationToken.None);
            var dispose = sut.Engine.DisposeAsync().AsTask();
            Assert.False(dispose.IsCompleted);
            await AdvanceUntilAsync(sut, dispose);
            Assert.True(stop.IsCompletedSuccessfully);
            Assert.Equal(JobOutcome.Cancelled, Assert.Single(await sut.Engine.GetRunsAsync("upload", 10, CancellationToken.None)).Outcome);
        }
        finally
        {
            release.TrySetResult();
        }

        await sut.DisposeAsync().AsTask().WaitAsync(Patience);
    }

    /// <summary>Drives the fake clock in small steps until <paramref name="stop"/> completes (the real-time bound only prevents a hang).</summary>
    private static async Task AdvanceUntilAsync(TestEngine sut, Task stop)
    {
        var deadline = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
        while (!stop.IsCompleted && Environment.TickCount64 < deadline)
        {
            sut.Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        await stop.WaitAsync(Patience);
    }
}
