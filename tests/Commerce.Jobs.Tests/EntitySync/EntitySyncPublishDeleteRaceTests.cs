using Commerce.Jobs.Storage;
using Microsoft.Extensions.Time.Testing;
using static Commerce.Jobs.Tests.EntitySync.EntitySyncSut;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>
/// A publish racing a configuration change that removes the type (or a target) leaves no held change behind in the
/// store, and nothing published before the removal is delivered when the type (or target) is configured again: on one
/// host, and on two hosts sharing a store. The publish is held in the store's write, so the order is the test's.
/// </summary>
public sealed class EntitySyncPublishDeleteRaceTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_publish_being_written_while_the_type_is_deleted_leaves_nothing_behind_and_nothing_comes_back()
    {
        var (store, faults) = FaultyStore.Create(CreateStore());
        await using var sut = await CreateAsync(store: store);
        var configuration = (await sut.Sync.GetConfigurationAsync(Categories, None))!;
        var release = HoldWrites(faults, out var entered);

        // The publish read the configuration and is writing to the store when the type is deleted.
        var publish = sut.UpsertAsync("c-1", 1).AsTask();
        await entered.WaitAsync(Patience);
        var delete = sut.Sync.DeleteConfigurationAsync(Categories, None).AsTask();
        release.SetResult();

        var accepted = await publish.WaitAsync(Patience);
        Assert.True(await delete.WaitAsync(Patience));
        await AssertNothingHeldAsync(sut.Store, "search", "erp");
        Assert.False(accepted, "the publish lost the race: the type was gone when its write ended");

        // Configured again: nothing published before the delete is delivered.
        await sut.Sync.PutConfigurationAsync(configuration, None);
        Assert.True(await sut.UpsertAsync("c-2", 2));
        await sut.DrainAsync();
        Assert.All(sut.Targets, t => Assert.Equal(["c-2"], t.Log.Select(c => c.Id)));
    }

    [Fact]
    public async Task A_publish_being_written_while_a_target_is_removed_reaches_the_kept_target_only_and_the_removed_one_gets_nothing_when_added_back()
    {
        var (store, faults) = FaultyStore.Create(CreateStore());
        await using var sut = await CreateAsync(store: store);
        var configuration = (await sut.Sync.GetConfigurationAsync(Categories, None))!;
        var release = HoldWrites(faults, out var entered);

        var publish = sut.UpsertAsync("c-1", 1).AsTask();
        await entered.WaitAsync(Patience);
        var put = sut.Sync.PutConfigurationAsync(configuration with { Targets = ["search"] }, None).AsTask();
        release.SetResult();

        Assert.True(await publish.WaitAsync(Patience));
        await put.WaitAsync(Patience);
        await sut.DrainAsync();
        Assert.Equal(["c-1"], sut.Search.Log.Select(c => c.Id));
        await AssertNothingHeldAsync(sut.Store, "erp");

        // Added back: it starts with what is published from now on.
        await sut.Sync.PutConfigurationAsync(configuration, None);
        Assert.True(await sut.UpsertAsync("c-2", 2));
        await sut.DrainAsync();
        Assert.Equal(["c-2"], sut.Erp.Log.Select(c => c.Id));
        Assert.Equal(["c-1", "c-2"], sut.Search.Log.Select(c => c.Id));
    }

    [Fact]
    public async Task Two_hosts_a_publish_being_written_on_one_while_the_other_deletes_the_type_leaves_nothing_behind_once_the_first_learns_of_the_delete()
    {
        var shared = CreateStore();
        var (storeB, faults) = FaultyStore.Create(shared);
        await using var a = await CreateAsync(store: shared, time: new FakeTimeProvider(Start.AddSeconds(1)));
        await using var b = await CreateAsync(store: storeB, time: new FakeTimeProvider(Start.AddSeconds(2)));
        var configuration = (await a.Sync.GetConfigurationAsync(Categories, None))!;
        var release = HoldWrites(faults, out var entered);

        // Host B publishes; host A deletes the type; B's refresh applies the delete while B's publish is still being written.
        var publish = b.UpsertAsync("c-1", 1).AsTask();
        await entered.WaitAsync(Patience);
        Assert.True(await a.Sync.DeleteConfigurationAsync(Categories, None));
        var refresh = b.RefreshAsync(None);
        release.SetResult();

        var accepted = await publish.WaitAsync(Patience);
        await refresh.WaitAsync(Patience);
        Assert.Null(await b.Sync.GetConfigurationAsync(Categories, None));
        await AssertNothingHeldAsync(shared, "search", "erp");
        Assert.False(accepted, "the publish lost the race: the type was gone when its write ended");

        // Configured again on host A: nothing published before the delete is delivered.
        await a.Sync.PutConfigurationAsync(configuration, None);
        Assert.True(await a.UpsertAsync("c-2", 2));
        await a.DrainAsync();
        Assert.All(a.Targets, t => Assert.Equal(["c-2"], t.Log.Select(c => c.Id)));
    }

    [Fact]
    public async Task Two_hosts_what_one_publishes_before_learning_of_the_others_delete_is_not_delivered_when_the_type_is_put_again()
    {
        // Host B holds its upserts (paused), so what it publishes stays in the store.
        var shared = CreateStore();
        await using var a = await CreateAsync(store: shared, time: new FakeTimeProvider(Start.AddSeconds(1)));
        await using var b = await CreateAsync(sync: s => s.Paused(), store: shared, time: new FakeTimeProvider(Start.AddSeconds(2)));
        var configuration = (await a.Sync.GetConfigurationAsync(Categories, None))!;

        // Host A deletes the type; host B, which has not refreshed yet, publishes to the store.
        Assert.True(await a.Sync.DeleteConfigurationAsync(Categories, None));
        Assert.True(await b.UpsertAsync("c-1", 1));
        Assert.NotEmpty(await HeldAsync(shared, Categories, "search"));

        // Host A puts the type again: it starts from a clean state.
        await a.Sync.PutConfigurationAsync(configuration, None);
        await AssertNothingHeldAsync(shared, "search", "erp");
        Assert.True(await a.UpsertAsync("c-2", 2));
        await a.DrainAsync();
        Assert.All(a.Targets, t => Assert.Equal(["c-2"], t.Log.Select(c => c.Id)));
    }

    /// <summary>Holds the store writes of published changes until the returned source is completed.</summary>
    private static TaskCompletionSource HoldWrites(FaultyStore faults, out Task entered)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        faults.Hold(nameof(IJobStore.AddEntityChangesAsync), release.Task, arrived);
        entered = arrived.Task;
        return release;
    }

    private static async Task AssertNothingHeldAsync(IJobStore store, params string[] targets)
    {
        foreach (var target in targets)
        {
            Assert.Empty(await HeldAsync(store, Categories, target));
        }
    }
}
