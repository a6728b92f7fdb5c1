using Commerce.Jobs.Storage;
using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The operator-state part of the job store contract (job controls and entity-sync configurations), run against the
/// whole <see cref="IJobStore"/>: one suite every store passes unchanged (in-memory, SQLite, PostgreSQL). Each role has
/// its own suite besides: <see cref="RunHistoryStoreContractTests"/>, <see cref="RecordStoreContractTests"/>,
/// <see cref="ScheduleStoreContractTests"/>, <see cref="EntitySyncStoreContractTests"/>.
/// </summary>
public abstract class JobStoreContractTests
{
    /// <summary>Makes a fresh, empty store (a new database or schema per call).</summary>
    protected abstract Task<IJobStore> CreateStoreAsync();

    [Fact]
    public async Task Job_controls_are_stored_per_job_case_insensitively_the_newest_change_winning()
    {
        var store = await CreateStoreAsync();
        Assert.Empty(await store.GetJobControlsAsync(default));
        var at = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero).AddTicks(1_234_560);   // microseconds, as hosts stamp them

        await store.SetJobControlAsync(new JobControl("order-submit", Paused: true, Disabled: false, at), default);
        await store.SetJobControlAsync(new JobControl("nightly", Paused: false, Disabled: true, at.AddMinutes(1)), default);
        await store.SetJobControlAsync(new JobControl("ORDER-SUBMIT", Paused: false, Disabled: true, at.AddMinutes(2)), default);
        // A host's late write of an older change, and one as new, replace nothing.
        await store.SetJobControlAsync(new JobControl("order-submit", Paused: true, Disabled: false, at.AddMinutes(1)), default);
        await store.SetJobControlAsync(new JobControl("order-submit", Paused: true, Disabled: true, at.AddMinutes(2)), default);

        var controls = (await store.GetJobControlsAsync(default)).OrderBy(c => c.JobName, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.Equal(2, controls.Count);
        Assert.Equal(new JobControl("nightly", false, true, at.AddMinutes(1)), controls[0]);
        Assert.Equal("order-submit", controls[1].JobName, ignoreCase: true);
        Assert.False(controls[1].Paused);
        Assert.True(controls[1].Disabled);
        Assert.Equal(at.AddMinutes(2), controls[1].ChangedAt);
    }

    [Fact]
    public async Task Entity_sync_configurations_and_deletions_are_stored_per_type_the_newest_change_winning()
    {
        var store = await CreateStoreAsync();
        Assert.Empty(await store.GetEntitySyncConfigurationsAsync(default));
        var at = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero).AddTicks(1_234_560);
        var categories = new EntitySyncConfiguration { EntityType = "categories", Targets = ["search", "erp"], Paused = true };

        await store.SetEntitySyncConfigurationAsync(new StoredEntitySyncConfiguration("categories", categories with { Paused = false }, at), default);
        await store.SetEntitySyncConfigurationAsync(new StoredEntitySyncConfiguration("buyers", new EntitySyncConfiguration { EntityType = "buyers", Targets = ["erp"] }, at), default);
        await store.SetEntitySyncConfigurationAsync(new StoredEntitySyncConfiguration("CATEGORIES", categories, at.AddMinutes(1)), default);
        await store.SetEntitySyncConfigurationAsync(new StoredEntitySyncConfiguration("buyers", null, at.AddMinutes(2)), default);
        await store.SetEntitySyncConfigurationAsync(new StoredEntitySyncConfiguration("buyers", new EntitySyncConfiguration { EntityType = "buyers", Targets = ["erp"] }, at.AddMinutes(1)), default);

        var stored = (await store.GetEntitySyncConfigurationsAsync(default)).OrderBy(c => c.EntityType, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.Equal(2, stored.Count);
        Assert.Equal("buyers", stored[0].EntityType);
        Assert.Null(stored[0].Configuration);
        Assert.Equal(at.AddMinutes(2), stored[0].ChangedAt);
        Assert.Equal(categories, stored[1].Configuration);
        Assert.Equal(["search", "erp"], stored[1].Configuration!.Targets);
        Assert.True(stored[1].Configuration!.Paused && stored[1].Configuration!.Enabled && stored[1].Configuration!.IncrementalSync);
        Assert.Equal(at.AddMinutes(1), stored[1].ChangedAt);
    }

    [Fact]
    public async Task Job_controls_keep_any_job_name_as_written()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < HostileKeys.Count; i++)
        {
            var job = HostileKeys[i];
            await store.SetJobControlAsync(new JobControl(job, Paused: true, Disabled: false, T0), default);
        }

        var controls = await store.GetJobControlsAsync(default);
        Assert.Equal(HostileKeys.Order(StringComparer.Ordinal), controls.Select(c => c.JobName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Entity_sync_configurations_keep_any_type_and_targets_as_written()
    {
        var store = await CreateStoreAsync();

        // Configurations changed at run time, named and targeted from outside.
        foreach (var key in HostileKeys)
        {
            await store.SetEntitySyncConfigurationAsync(new StoredEntitySyncConfiguration(key, new EntitySyncConfiguration { EntityType = key, Targets = [.. HostileKeys] }, T0), None);
        }

        var configurations = (await store.GetEntitySyncConfigurationsAsync(None)).OrderBy(c => c.EntityType, StringComparer.Ordinal).ToList();
        Assert.Equal(HostileKeys.Order(StringComparer.Ordinal), configurations.Select(c => c.EntityType));
        Assert.All(configurations, c =>
        {
            AssertSameText(c.EntityType, c.Configuration!.EntityType);
            Assert.Equal(HostileKeys, c.Configuration.Targets);
        });
    }
}
