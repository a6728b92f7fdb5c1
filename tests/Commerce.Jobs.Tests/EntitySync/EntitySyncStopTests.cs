using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using static Commerce.Jobs.Tests.EntitySync.EntitySyncSut;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>
/// Stopping entity sync is bounded whatever the store or a target does (a call stuck in the store, a cancellation
/// callback that blocks), and once stopped no lane delivers any more.
/// </summary>
public sealed class EntitySyncStopTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(17);
    private static readonly TimeSpan Shutdown = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_refresh_stuck_in_the_store_whose_cancellation_blocks_does_not_hold_the_stop_nor_the_dispose()
    {
        var (store, hang) = HangingStore.Create(CreateStore());
        var time = new WatchedTimeProvider(Start);
        await using var sut = await CreateAsync(configure: Declare, store: store, time: time, engine: true);
        using var unblock = hang;  // disposed first: a stop that hangs (a failure) ends
        await DeliveredBeforeAsync(sut);

        // The refresh pass (the engine's) reads the store when the host stops: the read ignores its token, whose cancellation blocks.
        await RefreshIntoAsync(time, hang, StoreCall.GetEntitySyncConfigurations);

        var hosted = sut.Services.GetServices<IHostedService>().OfType<CommerceJobsHostedService>().Single();
        await AdvanceUntilAsync(time, hosted.StopAsync(None));
        Assert.True(time.GetUtcNow() >= Start + Refresh + Shutdown, "the refresh was given the grace period");
        await AssertNothingDeliveredAsync(sut);

        // Host disposal returns too, and the lanes stay stopped once the store answers.
        await AdvanceUntilAsync(time, sut.Services.DisposeAsync().AsTask());
        hang.Dispose();
        await AssertNothingDeliveredAsync(sut, publish: false);
    }

    [Fact]
    public async Task A_refresh_stuck_in_a_store_write_does_not_keep_the_lanes_delivering_after_the_hosted_stop_returned()
    {
        var (store, hang) = HangingStore.Create(CreateStore());
        var time = new WatchedTimeProvider(Start);
        await using var sut = await CreateAsync(configure: Declare, store: store, time: time, engine: true);
        using var unblock = hang;  // disposed first: a stop that hangs (a failure) ends
        await DeliveredBeforeAsync(sut);

        // Another host adds buyers and deletes inventory: this host's refresh starts buyers' lane, then clears inventory's
        // held changes in the store (a write without a token), which hangs.
        await hang.Inner.SetEntitySyncConfigurationAsync(new StoredEntitySyncConfiguration("buyers", new EntitySyncConfiguration { EntityType = "buyers", Targets = ["erp"] }, Start.AddSeconds(1)), None);
        await hang.Inner.SetEntitySyncConfigurationAsync(new StoredEntitySyncConfiguration("inventory", null, Start.AddSeconds(1)), None);
        await RefreshIntoAsync(time, hang, nameof(IJobStore.ClearEntitySyncAsync));
        Assert.NotNull(await sut.Sync.GetConfigurationAsync("buyers", None));

        var hosted = sut.Services.GetServices<IHostedService>().OfType<CommerceJobsHostedService>().Single();
        await AdvanceUntilAsync(time, hosted.StopAsync(None));
        await AssertNothingDeliveredAsync(sut);
        Assert.True(await sut.Sync.PublishAsync(EntityChange.Upsert("buyers", "b-1", "b-1@1", 1), None));
        await sut.DrainAsync();
        Assert.DoesNotContain(sut.Erp.Log, c => c.EntityType == "buyers");

        // Host disposal awaits the same stop, done.
        await AdvanceUntilAsync(time, sut.Services.DisposeAsync().AsTask());
        hang.Dispose();
        await AssertNothingDeliveredAsync(sut, publish: false);
        Assert.DoesNotContain(sut.Erp.Log, c => c.EntityType == "buyers");
    }

    [Fact]
    public async Task A_configuration_change_stuck_in_the_store_does_not_hold_the_stop_and_its_new_lane_stops()
    {
        var (store, hang) = HangingStore.Create(CreateStore());
        var time = new WatchedTimeProvider(Start);
        await using var sut = await CreateAsync(configure: Declare, store: store, time: time);
        using var unblock = hang;  // disposed first: a stop that hangs (a failure) ends
        await DeliveredBeforeAsync(sut);

        // The change starts buyers' lane, then hangs saving the configuration, holding the gate.
        var held = hang.Hold(StoreCall.SetEntitySyncConfiguration);
        var put = sut.Sync.PutConfigurationAsync(new EntitySyncConfiguration { EntityType = "buyers", Targets = ["erp"] }, None).AsTask();
        await held;

        await AdvanceUntilAsync(time, sut.Sync.StopAsync(None));
        await AssertNothingDeliveredAsync(sut);
        Assert.True(await sut.Sync.PublishAsync(EntityChange.Upsert("buyers", "b-1", "b-1@1", 1), None));
        await sut.DrainAsync();
        Assert.DoesNotContain(sut.Erp.Log, c => c.EntityType == "buyers");

        // Released, the change ends as it would have (saved), and nothing is delivered.
        hang.Dispose();
        await put.WaitAsync(Patience);
        Assert.NotNull(await sut.Sync.GetConfigurationAsync("buyers", None));
        await AdvanceUntilAsync(time, sut.Services.DisposeAsync().AsTask());
        Assert.DoesNotContain(sut.Erp.Log, c => c.EntityType == "buyers");
    }

    [Fact]
    public async Task A_targets_cancellation_callback_that_blocks_does_not_hold_the_stop()
    {
        using var unblock = new ManualResetEventSlim();
        var (search, release, entered) = BlockingTarget("search", unblock);
        var time = new WatchedTimeProvider(Start);
        var store = CreateStore();
        await using var sut = await CreateAsync(configure: DeclareOneTarget, time: time, store: store, targets: [search, new RecordingTarget("erp")]);
        try
        {
            await sut.UpsertAsync("c-1", 1);
            await entered.WaitAsync(Patience);

            await AdvanceUntilAsync(time, sut.Sync.StopAsync(None));

            Assert.True(time.GetUtcNow() >= Start + Shutdown, "the delivery was given the grace period");
            Assert.Equal(["c-1"], (await HeldAsync(store, Categories, "search")).Select(c => c.Id));
        }
        finally
        {
            unblock.Set();
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task A_targets_cancellation_callback_that_blocks_does_not_hold_a_pause()
    {
        using var unblock = new ManualResetEventSlim();
        var (search, release, entered) = BlockingTarget("search", unblock);
        var time = new WatchedTimeProvider(Start);
        await using var sut = await CreateAsync(configure: DeclareOneTarget, time: time, targets: [search, new RecordingTarget("erp")]);
        try
        {
            await sut.UpsertAsync("c-1", 1);
            await entered.WaitAsync(Patience);

            await AdvanceUntilAsync(time, sut.Sync.PauseAsync(Categories, None).AsTask());

            Assert.NotNull(sut.Status("search").PausedSince);
        }
        finally
        {
            unblock.Set();
            release.TrySetResult();
        }
    }

    /// <summary>Publishes c-1 and waits until both targets have it.</summary>
    private static async Task DeliveredBeforeAsync(EntitySyncSut sut)
    {
        Assert.True(await sut.UpsertAsync("c-1", 1));
        await sut.DrainAsync();
        Assert.All(sut.Targets, t => Assert.Equal(["c-1"], t.Log.Select(c => c.Id)));
    }

    /// <summary>After the stop: a change published now is held in the store, and no target gets anything new.</summary>
    private static async Task AssertNothingDeliveredAsync(EntitySyncSut sut, bool publish = true)
    {
        if (publish)
        {
            await sut.UpsertAsync("c-2", 2);
            await sut.DrainAsync();
        }

        Assert.All(sut.Targets, t => Assert.Equal(["c-1"], t.Log.Select(c => c.Id)));
    }

    /// <summary>Holds <paramref name="method"/> in the store, and runs a refresh pass into it.</summary>
    private static async Task RefreshIntoAsync(WatchedTimeProvider time, HangingStore hang, string method)
    {
        var held = hang.Hold(method);
        await time.WhenArmedAsync(Refresh, 1);
        time.Advance(Refresh);
        await held;
    }

    /// <summary>Drives the fake clock in small steps until <paramref name="task"/> completes (the real-time bound only prevents a hang).</summary>
    private static async Task AdvanceUntilAsync(WatchedTimeProvider time, Task task)
    {
        var deadline = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
        while (!task.IsCompleted && Environment.TickCount64 < deadline)
        {
            time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Yield();
        }

        await task.WaitAsync(Patience);
    }

    /// <summary>A target whose delivery ignores cancellation and whose cancellation callback blocks, until the test releases them.</summary>
    private static (RecordingTarget Target, TaskCompletionSource Release, Task Entered) BlockingTarget(string name, ManualResetEventSlim unblock)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var target = new RecordingTarget(name)
        {
            BeforeDeliver = async ct =>
            {
                var registration = ct.Register(() => unblock.Wait());
                entered.TrySetResult();
                await release.Task;
                registration.Unregister();
            },
        };
        return (target, release, entered.Task);
    }

    private static void Declare(CommerceJobsBuilder jobs)
    {
        jobs.Configure(o =>
        {
            o.ControlRefreshInterval = Refresh;
            o.ShutdownTimeout = Shutdown;
        });
        jobs.AddEntitySync(Categories).DeliverTo("search", "erp");
        jobs.AddEntitySync("inventory").DeliverTo("search");
    }

    private static void DeclareOneTarget(CommerceJobsBuilder jobs)
    {
        jobs.Configure(o =>
        {
            o.ControlRefreshInterval = Timeout.InfiniteTimeSpan;
            o.ShutdownTimeout = Shutdown;
        });
        jobs.AddEntitySync(Categories).DeliverTo("search");
    }
}
