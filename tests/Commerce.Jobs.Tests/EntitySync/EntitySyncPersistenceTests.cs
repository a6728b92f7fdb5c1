using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>Configurations changed at run time (put, delete, pause, resume) are kept in the store and restored at start.</summary>
public sealed class EntitySyncPersistenceTests
{
    [Fact]
    public async Task Put_pause_and_delete_outlive_a_restart_on_the_same_store()
    {
        var store = EntitySyncSut.CreateStore();
        DateTimeOffset pausedAt;
        await using (var first = await EntitySyncSut.CreateAsync(configure: Declare, store: store))
        {
            await first.Sync.PutConfigurationAsync(new EntitySyncConfiguration { EntityType = "buyers", Targets = ["erp"], IncrementalSync = false }, default);
            first.Time.Advance(TimeSpan.FromMinutes(5));
            pausedAt = first.Time.GetUtcNow();
            await first.Sync.PauseAsync("CATEGORIES", default);
            Assert.True(await first.Sync.DeleteConfigurationAsync("inventory", default));
        }

        await using var second = await EntitySyncSut.CreateAsync(configure: Declare, store: store);

        var configurations = await second.Sync.GetConfigurationsAsync(default);
        Assert.Equal(["buyers", "categories"], configurations.Select(c => c.EntityType));
        Assert.Equal(new EntitySyncConfiguration { EntityType = "buyers", Targets = ["erp"], IncrementalSync = false }, configurations[0]);
        Assert.True(configurations[1].Paused);
        Assert.All(second.Sync.GetStatus("categories"), s => Assert.Equal(pausedAt, s.PausedSince));

        // Still paused: an upsert is held; resumed (and kept so), it goes out.
        await second.UpsertAsync("shoes", 1);
        await second.DrainAsync();
        Assert.Empty(second.Search.Log);
        await second.Sync.ResumeAsync("categories", default);
        await second.DrainAsync();
        Assert.Single(second.Search.Log);
        Assert.False((await store.GetEntitySyncConfigurationsAsync(default)).Single(c => c.EntityType == "categories").Configuration!.Paused);
    }

    [Fact]
    public async Task A_stored_configuration_naming_a_target_that_is_gone_is_not_restored_and_the_declaration_applies()
    {
        var store = EntitySyncSut.CreateStore();
        var changedAt = EntitySyncSut.Start.AddDays(-1);
        await store.SetEntitySyncConfigurationAsync(new StoredEntitySyncConfiguration("categories", new EntitySyncConfiguration { EntityType = "categories", Targets = ["search", "archive"] }, changedAt), default);

        await using var sut = await EntitySyncSut.CreateAsync(configure: Declare, store: store);

        var categories = await sut.Sync.GetConfigurationAsync("categories", default);
        Assert.Equal(["search"], categories!.Targets);
    }

    [Fact]
    public async Task A_change_on_one_host_reaches_another_running_on_the_same_store_within_the_refresh_interval()
    {
        var store = EntitySyncSut.CreateStore();
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(EntitySyncSut.Start);
        await using var first = await EntitySyncSut.CreateAsync(configure: Declare, store: store, time: time);
        await using var second = await EntitySyncSut.CreateAsync(configure: Declare, store: store, time: time);
        second.Engine.Start();  // the operator-state refresh runs with the engine

        await first.Sync.PauseAsync("categories", default);
        Assert.True(await first.Sync.DeleteConfigurationAsync("inventory", default));
        for (var i = 0; (await second.Sync.GetConfigurationsAsync(default)).Count != 1 || second.Sync.GetStatus("categories").Any(s => s.PausedSince is null); i++)
        {
            Assert.True(i < 6000, "the second host did not take the change");
            time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(5);
        }

        Assert.True((await second.Sync.GetConfigurationAsync("categories", default))!.Paused);
        Assert.Null(await second.Sync.GetConfigurationAsync("inventory", default));
    }

    [Fact]
    public async Task Two_hosts_on_one_store_keep_a_pause_and_a_change_of_targets_made_on_each_even_out_of_order()
    {
        // Host A pauses at t1; host B, which read the configuration before that, changes the targets at t2 and is stored first.
        var store = EntitySyncSut.CreateStore();
        await using var a = await EntitySyncSut.CreateAsync(store: store, time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(EntitySyncSut.Start.AddSeconds(1)));
        await using var b = await EntitySyncSut.CreateAsync(store: store, time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(EntitySyncSut.Start.AddSeconds(2)));
        var current = await b.Sync.GetConfigurationAsync(EntitySyncSut.Categories, default);
        await b.Sync.PutConfigurationAsync(current! with { Targets = ["search"] }, default);
        await a.Sync.PauseAsync(EntitySyncSut.Categories, default);

        await a.RefreshAsync(default);
        await b.RefreshAsync(default);

        var expected = new EntitySyncConfiguration { EntityType = EntitySyncSut.Categories, Targets = ["search"], Paused = true };
        Assert.Equal(expected, await a.Sync.GetConfigurationAsync(EntitySyncSut.Categories, default));
        Assert.Equal(expected, await b.Sync.GetConfigurationAsync(EntitySyncSut.Categories, default));
        Assert.Equal(expected, (await store.GetEntitySyncConfigurationsAsync(default)).Single().Configuration);
        Assert.All(b.Sync.GetStatus(EntitySyncSut.Categories), s => Assert.Equal(EntitySyncSut.Start.AddSeconds(1), s.PausedSince));
    }

    [Fact]
    public async Task A_put_on_one_host_after_a_delete_on_another_keeps_the_type()
    {
        // Host A deletes at t1; host B, which has not seen the delete yet, puts a new configuration at t2: the put is newer.
        var store = EntitySyncSut.CreateStore();
        await using var a = await EntitySyncSut.CreateAsync(store: store, time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(EntitySyncSut.Start.AddSeconds(1)));
        await using var b = await EntitySyncSut.CreateAsync(store: store, time: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(EntitySyncSut.Start.AddSeconds(2)));
        var current = await b.Sync.GetConfigurationAsync(EntitySyncSut.Categories, default);
        await a.Sync.DeleteConfigurationAsync(EntitySyncSut.Categories, default);
        await b.Sync.PutConfigurationAsync(current! with { Paused = true }, default);

        await a.RefreshAsync(default);
        await b.RefreshAsync(default);

        var expected = current with { Paused = true };
        Assert.Equal(expected, await a.Sync.GetConfigurationAsync(EntitySyncSut.Categories, default));
        Assert.Equal(expected, await b.Sync.GetConfigurationAsync(EntitySyncSut.Categories, default));
    }

    private static void Declare(CommerceJobsBuilder jobs)
    {
        jobs.AddEntitySync(EntitySyncSut.Categories).DeliverTo("search");
        jobs.AddEntitySync("inventory").DeliverTo("search");
    }
}
