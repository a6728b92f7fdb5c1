using Commerce.Jobs.EntitySync;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using static Commerce.Jobs.Tests.EntitySync.EntitySyncSut;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>Faults around entity sync: a failing store, a target that ignores cancellation. The background work goes on and a stop is bounded.</summary>
public sealed class EntitySyncFaultTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Refresh = TimeSpan.FromSeconds(17);
    private static readonly TimeSpan Shutdown = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan AbandonAfter = TimeSpan.FromSeconds(1);

    public static TheoryData<string> RefreshFaults =>
    [
        StoreCall.GetEntitySyncConfigurations,
        nameof(IJobStore.ClearEntitySyncAsync),
    ];

    [Theory]
    [MemberData(nameof(RefreshFaults))]
    public async Task A_refresh_pass_the_store_fails_is_retried_by_the_next_pass_and_stop_does_not_throw(string failing)
    {
        var (store, faults) = FaultyStore.Create(CreateStore());
        var time = new WatchedTimeProvider(Start);
        await using var sut = await CreateAsync(configure: Declare, store: store, time: time, engine: true);
        await time.WhenArmedAsync(Refresh, 1);

        // Delivered before: the store keeps inventory's delivered version, which a deletion clears.
        Assert.True(await sut.UpsertAsync("i-1", 1, type: "inventory"));
        await sut.DrainAsync();
        Assert.Single(await store.GetDeliveredEntityVersionsAsync("inventory", "search", None));

        // Another host deletes inventory and adds buyers; this host's next refresh pass fails on the store.
        await faults.Inner.SetEntitySyncConfigurationAsync(new StoredEntitySyncConfiguration("inventory", null, Start.AddMinutes(1)), None);
        await faults.Inner.SetEntitySyncConfigurationAsync(new StoredEntitySyncConfiguration("buyers", new EntitySyncConfiguration { EntityType = "buyers", Targets = ["erp"] }, Start.AddMinutes(1)), None);
        faults.FailNext(failing);
        await RefreshAsync(time);
        Assert.Equal(1, faults.Failed(failing));

        await RefreshAsync(time);

        Assert.Equal(["buyers", "categories"], (await sut.Sync.GetConfigurationsAsync(None)).Select(c => c.EntityType));
        Assert.Empty(await store.GetDeliveredEntityVersionsAsync("inventory", "search", None));
        Assert.True(await sut.UpsertAsync("b-1", 1, type: "buyers"));
        await sut.DrainAsync();
        Assert.Equal(["b-1"], sut.Erp.Log.Select(c => c.Id));

        await sut.Sync.StopAsync(None).WaitAsync(Patience);
    }

    [Fact]
    public async Task A_target_that_ignores_cancellation_blocks_no_configuration_call()
    {
        var time = new WatchedTimeProvider(Start);
        var (search, release) = HangingTarget("search", out var entered);
        await using var sut = await CreateAsync(configure: DeclareOneTarget, time: time, targets: [search, new RecordingTarget("erp")]);
        try
        {
            await sut.UpsertAsync("c-1", 1);
            await entered.WaitAsync(Patience);

            // Pausing cancels the delivery, which goes on: the pause waits for it, bounded, and holds nothing else up meanwhile.
            var pause = sut.Sync.PauseAsync(Categories, None).AsTask();
            await sut.Sync.PutConfigurationAsync(new EntitySyncConfiguration { EntityType = "buyers", Targets = ["erp"] }, None).AsTask().WaitAsync(Patience);
            await sut.Sync.PauseAsync("buyers", None).AsTask().WaitAsync(Patience);
            await sut.Sync.ResumeAsync("buyers", None).AsTask().WaitAsync(Patience);
            Assert.Equal(2, (await sut.Sync.GetConfigurationsAsync(None).AsTask().WaitAsync(Patience)).Count);

            // The same type too: put (resumed), then paused again, while the target still holds the delivery.
            await sut.Sync.PutConfigurationAsync(new EntitySyncConfiguration { EntityType = Categories, Targets = ["search"] }, None).AsTask().WaitAsync(Patience);
            Assert.False(pause.IsCompleted);
            await AdvanceAsync(time, AbandonAfter, 1);
            await pause.WaitAsync(Patience);
            var pauseAgain = sut.Sync.PauseAsync(Categories, None).AsTask();
            await AdvanceAsync(time, AbandonAfter, 2);
            await pauseAgain.WaitAsync(Patience);

            // And deleted, the other type and this one.
            Assert.True(await sut.Sync.DeleteConfigurationAsync("buyers", None).AsTask().WaitAsync(Patience));
            Assert.True(await sut.Sync.DeleteConfigurationAsync(Categories, None).AsTask().WaitAsync(Patience));
            Assert.Empty(await sut.Sync.GetConfigurationsAsync(None));
            Assert.False(release.Task.IsCompleted);
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task A_delivery_whose_lease_renewals_fail_is_cancelled_before_its_lease_ends_and_released()
    {
        var time = new FakeTimeProvider(Start);
        var (store, faults) = FaultyStore.Create(CreateStore());
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelledAt = new TaskCompletionSource<DateTimeOffset>(TaskCreationOptions.RunContinuationsAsynchronously);
        var search = new RecordingTarget("search")
        {
            BeforeDeliver = async ct =>
            {
                if (entered.TrySetResult())
                {
                    using var registration = ct.Register(() => cancelledAt.TrySetResult(time.GetUtcNow()));
                    await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                }
            },
        };
        await using var sut = await CreateAsync(configure: DeclareOneTarget, time: time, store: store, targets: [search, new RecordingTarget("erp")]);
        faults.FailNext("RenewEntityLeasesAsync", times: 1000);
        await sut.UpsertAsync("c-1", 1);
        await entered.Task.WaitAsync(Patience);

        // The lease (5 minutes) is never renewed: the delivery is cancelled before it ends, when another host could claim.
        for (var i = 0; i < 9 && !cancelledAt.Task.IsCompleted; i++)
        {
            time.Advance(TimeSpan.FromSeconds(30));
            await Task.Yield();
        }

        var at = await cancelledAt.Task.WaitAsync(Patience);
        Assert.True(at < Start.AddMinutes(5), $"cancelled at {at:O}");
        Assert.True(faults.Failed("RenewEntityLeasesAsync") > 0);
    }

    [Fact]
    public async Task Stop_returns_within_the_shutdown_timeout_and_a_second_whatever_the_target_does_and_what_it_did_not_confirm_stays_held()
    {
        var time = new WatchedTimeProvider(Start);
        var store = CreateStore();
        var (search, release) = HangingTarget("search", out var entered);
        await using var sut = await CreateAsync(configure: DeclareOneTarget, time: time, store: store, targets: [search, new RecordingTarget("erp")]);
        try
        {
            await sut.UpsertAsync("c-1", 1);
            await entered.WaitAsync(Patience);
            var hosted = sut.Sync;

            var stop = hosted.StopAsync(None);
            await AdvanceAsync(time, Shutdown, 1);
            Assert.False(stop.IsCompleted);
            await AdvanceAsync(time, AbandonAfter, 1);
            await stop.WaitAsync(Patience);

            // Not confirmed: held, no delivered version, and not released (the abandoned call may still reach the target):
            // another host claims it once the lease ends, and delivers it.
            Assert.False(release.Task.IsCompleted);
            Assert.Equal(["c-1"], (await HeldAsync(store, Categories, "search")).Select(c => c.Id));
            Assert.Empty(await store.GetDeliveredEntityVersionsAsync(Categories, "search", None));
            Assert.Empty(await store.ClaimEntityChangesAsync(Categories, "search", new EntityChangeClaim("other", 10, time.GetUtcNow(), time.GetUtcNow().AddMinutes(5)), None));
            await using var next = await CreateAsync(configure: DeclareOneTarget, time: new FakeTimeProvider(time.GetUtcNow().AddMinutes(5)), store: store);
            await next.DrainAsync();
            Assert.Equal(["c-1"], next.Search.Log.Select(c => c.Id));
        }
        finally
        {
            release.TrySetResult();
        }
    }

    [Fact]
    public async Task A_store_write_that_fails_leaves_the_lane_delivering_and_is_retried_later()
    {
        var (store, faults) = FaultyStore.Create(CreateStore());
        await using var sut = await CreateAsync(store: store);

        // Completing the delivery fails once: the change stays held under this host's lease, the lane goes on, and once
        // the lease ends the change is claimed and delivered again (at least once, with the same idempotency key).
        faults.FailNext(nameof(IJobStore.CompleteEntityChangesAsync));
        await sut.UpsertAsync("c-1", 1);
        await sut.DrainAsync();
        Assert.Equal(1, faults.Failed(nameof(IJobStore.CompleteEntityChangesAsync)));
        Assert.Equal(1, await HeldAsync());
        Assert.Contains(sut.Targets, t => sut.Status(t.Name).LastError?.Contains("The job store failed", StringComparison.Ordinal) == true);

        sut.Time.Advance(JobDefaults.LeaseDuration);
        await sut.DrainAsync();
        Assert.Equal(0, await HeldAsync());
        foreach (var target in sut.Targets)
        {
            Assert.Equal(1, (await store.GetDeliveredEntityVersionsAsync(Categories, target.Name, None))["c-1"]);
        }

        // Publishing fails once: the caller is told, and the next publication is delivered.
        faults.FailNext(nameof(IJobStore.AddEntityChangesAsync));
        await Assert.ThrowsAsync<InvalidOperationException>(() => sut.UpsertAsync("c-2", 2).AsTask());
        Assert.True(await sut.UpsertAsync("c-3", 3));
        await sut.DrainAsync();
        Assert.All(sut.Targets, t => Assert.Equal(["c-1", "c-3"], t.Log.Select(c => c.Id).Distinct()));
        Assert.All(sut.Targets, t => Assert.Equal(["categories:c-1:1", "categories:c-3:3"], t.IdempotencyKeys.Distinct()));
        Assert.Equal(0, await HeldAsync());

        async Task<long> HeldAsync()
        {
            var held = 0L;
            foreach (var target in sut.Targets)
            {
                held += (await store.GetEntitySyncCountsAsync(Categories, target.Name, None)).Pending;
            }

            return held;
        }
    }

    /// <summary>Runs one refresh pass: advances the clock to it and waits until the pass ended (the next one is armed).</summary>
    private static async Task RefreshAsync(WatchedTimeProvider time)
    {
        var armed = time.Armed(Refresh);
        time.Advance(Refresh);
        await time.WhenArmedAsync(Refresh, armed + 1);
    }

    /// <summary>Waits until the <paramref name="count"/>-th wait of <paramref name="due"/> is armed, then advances the clock by it.</summary>
    private static async Task AdvanceAsync(WatchedTimeProvider time, TimeSpan due, int count)
    {
        await time.WhenArmedAsync(due, count);
        time.Advance(due);
    }

    /// <summary>A target whose delivery ignores cancellation and waits until the test releases it.</summary>
    private static (RecordingTarget Target, TaskCompletionSource Release) HangingTarget(string name, out Task entered)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var enteredSource = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        entered = enteredSource.Task;
        var target = new RecordingTarget(name)
        {
            BeforeDeliver = _ =>
            {
                enteredSource.TrySetResult();
                return release.Task;
            },
        };
        return (target, release);
    }

    private static void Declare(CommerceJobsBuilder jobs)
    {
        jobs.Configure(o => o.ControlRefreshInterval = Refresh);
        jobs.AddEntitySync(Categories).DeliverTo("search");
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
