using Commerce.Jobs.EntitySync;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Tests.EntitySync;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Tests.Internal;

/// <summary>
/// The engine's one observer: told each finished run once (an abandoned one too), each delivery attempt, each lane that
/// went idle; resolved from the container only when registered, so a host without one calls nothing.
/// </summary>
public sealed class EngineObserverTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_observer_is_told_each_finished_run_once_including_one_abandoned_at_shutdown()
    {
        // A clock that jumps to each timer as it is made: the stop's waits end at once.
        var time = new AutoAdvanceTimeProvider(TestEngine.Start);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.Configure(o => o.ControlRefreshInterval = Timeout.InfiniteTimeSpan);
                jobs.AddJob("quick", static (_, _) => ValueTask.FromResult(JobResult.Success));
                jobs.AddJob("upload", async (_, _) =>
                {
                    started.TrySetResult();
                    await release.Task; // ignores cancellation
                    return JobResult.Success;
                });
            },
            time);

        for (var i = 0; i < 3; i++)
        {
            await sut.Engine.RunAsync("quick", null, Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(Patience);
        }

        await sut.WaitForRunsAsync("quick", 3);
        sut.Engine.Trigger("upload");
        await started.Task.WaitAsync(Patience);
        await sut.Engine.StopAsync(new CancellationToken(canceled: true)).WaitAsync(Patience);
        await sut.WaitForRunsAsync("upload", 1);

        var told = sut.Observer.Runs.ToList();
        Assert.Equal(4, told.Count);
        Assert.Equal(told.Count, told.Select(r => r.RunId).Distinct().Count());
        Assert.All(told.Where(r => r.JobName == "quick"), r => Assert.Equal(JobOutcome.Succeeded, r.Outcome));
        var abandoned = Assert.Single(told, r => r.JobName == "upload");
        Assert.Equal(JobOutcome.Cancelled, abandoned.Outcome);
        Assert.Contains("abandoned", abandoned.Error);

        // What the observer was told is what the history recorded.
        var history = (await sut.Engine.GetRunsAsync("quick", 10, CancellationToken.None)).Concat(await sut.Engine.GetRunsAsync("upload", 10, CancellationToken.None));
        Assert.Equal(history.Select(r => r.RunId).Order(), told.Select(r => r.RunId).Order());

        release.SetResult();
        await sut.DisposeAsync().AsTask().WaitAsync(Patience);
        Assert.Single(sut.Observer.Runs, r => r.JobName == "upload");
    }

    [Fact]
    public async Task Each_delivery_attempt_of_a_record_job_is_told_with_its_number_and_start_time()
    {
        var time = new AutoAdvanceTimeProvider(TestEngine.Start);
        var calls = 0;
        var erp = new ScriptedErp(_ => Interlocked.Increment(ref calls) <= 2 ? DeliveryResult.TransientFailure("503 Service Unavailable") : DeliveryResult.Delivered);
        var cart = new Cart([new Order("SO1")]);
        await using var sut = TestEngine.Create(
            jobs =>
            {
                jobs.Configure(o => o.ControlRefreshInterval = Timeout.InfiniteTimeSpan);
                jobs.AddRecordJob<Order>("export").ReadFrom(cart).DeliverTo(erp).ReportStatusTo(cart)
                    .RetryWithin(maxRetries: 3, window: TimeSpan.FromMinutes(1));
            },
            time);

        sut.Engine.Trigger("export");
        await sut.WaitForRunsAsync("export", 1);

        Assert.Equal(1, Assert.Single(sut.Runs).Counts.Delivered);
        var attempts = sut.Observer.Attempts.ToList();
        Assert.Equal(3, calls);
        Assert.Equal([0, 1, 2], attempts.Select(a => a.Attempt));
        Assert.All(attempts, a => Assert.Equal("export", a.Name));
        Assert.Equal(attempts.Select(a => a.StartedAt).Order(), attempts.Select(a => a.StartedAt));
        Assert.True(attempts[2].StartedAt > attempts[0].StartedAt, "the retries waited on the clock");
    }

    [Fact]
    public async Task A_lane_tells_its_deliveries_and_that_it_went_idle_and_a_waiter_that_comes_late_still_completes()
    {
        await using var sut = await EntitySyncSut.CreateAsync();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivering = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Erp.BeforeDeliver = async _ =>
        {
            delivering.TrySetResult();
            await gate.Task;
        };

        // Both lanes went idle after their first (empty) pass.
        await sut.DrainAsync();
        var idleBefore = sut.Observer.LaneIdleCalls;
        Assert.True(idleBefore >= 2, $"{idleBefore} idle calls");

        await sut.UpsertAsync("c-1", 1);
        await delivering.Task.WaitAsync(Patience);
        var erpIdle = sut.Observer.WhenLaneIdleAsync(EntitySyncSut.Categories, "erp");
        Assert.False(erpIdle.IsCompleted);

        gate.SetResult();
        await erpIdle;
        await sut.DrainAsync("search");
        Assert.True(sut.Observer.LaneIdleCalls >= idleBefore + 2);

        // Registered after the lane went idle: completes from the lane's state, not from a call it missed.
        Assert.True(sut.Observer.WhenLaneIdleAsync(EntitySyncSut.Categories, "erp").IsCompleted);
        Assert.True(sut.Observer.WhenLanesIdleAsync().IsCompleted);

        Assert.Equal(["erp", "search"], sut.Targets.Where(t => t.Log.Count == 1).Select(t => t.Name).Order());
        Assert.Equal(2, sut.Observer.Attempts.Count(a => a is { Name: EntitySyncSut.Categories, Attempt: 0 }));
    }

    [Fact]
    public async Task Without_an_observer_registered_none_is_resolved_and_runs_deliveries_and_lanes_work_as_before()
    {
        var time = new AutoAdvanceTimeProvider(TestEngine.Start);
        var calls = 0;
        var erp = new ScriptedErp(_ => Interlocked.Increment(ref calls) <= 1 ? DeliveryResult.TransientFailure("timeout") : DeliveryResult.Delivered);
        var cart = new Cart([new Order("SO1")]);
        var search = new RecordingTarget("search");
        var services = new ServiceCollection()
            .AddLogging()
            .AddSingleton<TimeProvider>(time)
            .AddCommerceJobs(jobs =>
            {
                jobs.Configure(o => o.ControlRefreshInterval = Timeout.InfiniteTimeSpan);
                jobs.AddTarget(search);
                jobs.AddEntitySync(EntitySyncSut.Categories).DeliverTo("search");
                jobs.AddRecordJob<Order>("export").ReadFrom(cart).DeliverTo(erp).ReportStatusTo(cart)
                    .RetryWithin(maxRetries: 3, window: TimeSpan.FromMinutes(1));
            });
        await using var provider = services.BuildServiceProvider();

        Assert.Null(provider.GetService<EngineObserver>());
        var engine = provider.GetRequiredService<Commerce.Jobs.Runners.JobEngine>();
        var sync = provider.GetRequiredService<EntitySyncService>();
        engine.Start();
        await sync.StartAsync(CancellationToken.None);
        try
        {
            var run = await engine.RunAsync("export", null, Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(Patience);
            Assert.Equal(JobOutcome.Succeeded, run.Outcome);
            Assert.Equal(2, calls);
            Assert.Equal(RecordStatus.Delivered, cart.StatusOf("SO1"));

            var delivered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            search.BeforeDeliver = _ =>
            {
                delivered.TrySetResult();
                return Task.CompletedTask;
            };
            await sync.PublishAsync(EntityChange.Upsert(EntitySyncSut.Categories, "c-1", null, 1), CancellationToken.None);
            await delivered.Task.WaitAsync(Patience);
        }
        finally
        {
            await sync.StopAsync(CancellationToken.None);
            await engine.StopAsync(CancellationToken.None);
        }
    }
}
