using Commerce.Jobs.Internal;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Commerce.Jobs.Tests.EntitySync.EntitySyncSut;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>Configurations managed at run time (list, get, put, delete), rejected with a clear error when invalid, and declared in code with bad settings failing at start-up.</summary>
public sealed class EntitySyncConfigurationTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Declared_configuration_is_listed()
    {
        await using var sut = await CreateAsync();

        var configuration = Assert.Single(await sut.Sync.GetConfigurationsAsync(None));

        Assert.Equal(new EntitySyncConfiguration { EntityType = Categories, Targets = ["search", "erp"] }, configuration);
        Assert.Equal(configuration, await sut.Sync.GetConfigurationAsync("CATEGORIES", None));
        Assert.Null(await sut.Sync.GetConfigurationAsync("products", None));
    }

    [Theory]
    [InlineData("", "search", "Entity sync: EntityType must not be empty.")]
    [InlineData("  ", "search", "Entity sync: EntityType must not be empty.")]
    [InlineData("user groups", "search", "Entity sync 'user groups': EntityType must be 1 to 100 letters, digits, '-', '_' or '.'.")]
    [InlineData("products", "nope", "Entity sync 'products': target 'nope' is not a registered delivery target (registered: erp, search).")]
    [InlineData("products", "search,SEARCH", "Entity sync 'products': Targets names 'SEARCH' twice.")]
    [InlineData("products", "search,", "Entity sync 'products': Targets contains an empty target name.")]
    [InlineData("products", null, "Entity sync 'products': Targets must name at least one delivery target (DeliverTo).")]
    public async Task Put_of_an_invalid_configuration_is_rejected_with_a_clear_error_and_changes_nothing(string type, string? targets, string error)
    {
        await using var sut = await CreateAsync();
        var before = await sut.Sync.GetConfigurationsAsync(None);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => sut.Sync.PutConfigurationAsync(
            new EntitySyncConfiguration { EntityType = type, Targets = targets?.Split(',') ?? [] }, None).AsTask());

        Assert.Contains(error, ex.Message, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", ex.Message, StringComparison.Ordinal);
        Assert.Equal(before, await sut.Sync.GetConfigurationsAsync(None));
    }

    [Fact]
    public async Task Put_replacing_a_configuration_with_an_unknown_target_keeps_the_old_one_working()
    {
        await using var sut = await CreateAsync();
        var before = await sut.Sync.GetConfigurationAsync(Categories, None);

        await Assert.ThrowsAsync<ArgumentException>(() => sut.Sync.PutConfigurationAsync(before! with { Targets = ["search", "nope"], Paused = true }, None).AsTask());
        await sut.UpsertAsync("c-1", 1);
        await sut.DrainAsync();

        Assert.Equal(before, await sut.Sync.GetConfigurationAsync(Categories, None));
        Assert.All(sut.Targets, t => Assert.Single(t.Log));
    }

    [Fact]
    public async Task Put_adds_a_type_at_run_time()
    {
        await using var sut = await CreateAsync();

        await sut.Sync.PutConfigurationAsync(new EntitySyncConfiguration { EntityType = "inventory", Targets = ["erp"] }, None);
        Assert.True(await sut.UpsertAsync("sku-1", 3, type: "inventory"));
        await sut.DrainAsync();

        Assert.Equal(["categories", "inventory"], (await sut.Sync.GetConfigurationsAsync(None)).Select(c => c.EntityType));
        Assert.Equal(3, sut.Erp.State["sku-1"]);
        Assert.Empty(sut.Search.Log);
    }

    [Fact]
    public async Task Put_changes_targets_flags_and_pause_of_a_running_type()
    {
        await using var sut = await CreateAsync(configure: jobs => jobs.AddEntitySync(Categories).DeliverTo("search"));
        await sut.UpsertAsync("c-1", 1);
        await sut.DrainAsync();

        await sut.Sync.PutConfigurationAsync(new EntitySyncConfiguration { EntityType = Categories, Targets = ["erp", "search"], Paused = true }, None);
        await sut.UpsertAsync("c-2", 2);
        await sut.DrainAsync();
        Assert.Equal(["erp", "search"], sut.Sync.GetStatus(Categories).Select(s => s.TargetName));
        Assert.All(sut.Sync.GetStatus(Categories), s => Assert.Equal(Start, s.PausedSince));
        Assert.Single(sut.Search.Log);
        Assert.Empty(sut.Erp.Log);

        await sut.Sync.PutConfigurationAsync(new EntitySyncConfiguration { EntityType = Categories, Targets = ["erp"] }, None);
        await sut.DrainAsync();

        Assert.Equal(["c-2"], sut.Erp.Log.Select(c => c.Id));
        Assert.Single(sut.Search.Log);
        Assert.Empty(await HeldAsync(sut.Store, Categories, "search"));
        Assert.Empty(await sut.Store.GetDeliveredEntityVersionsAsync(Categories, "search", None));
    }

    [Fact]
    public async Task Disabled_type_holds_what_it_accepted_until_enabled()
    {
        await using var sut = await CreateAsync(b => b.Paused());
        await sut.UpsertAsync("c-1", 1);

        var configuration = await sut.Sync.GetConfigurationAsync(Categories, None);
        await sut.Sync.PutConfigurationAsync(configuration! with { Enabled = false, Paused = false }, None);
        Assert.False(await sut.UpsertAsync("c-2", 2));
        await sut.DrainAsync();
        Assert.All(sut.Targets, t => Assert.Empty(t.Log));

        await sut.Sync.PutConfigurationAsync(configuration with { Enabled = true, Paused = false }, None);
        await sut.DrainAsync();

        Assert.All(sut.Targets, t => Assert.Equal(["c-1"], t.Log.Select(c => c.Id)));
    }

    [Fact]
    public async Task Delete_stops_the_type_and_forgets_its_held_changes()
    {
        await using var sut = await CreateAsync(b => b.Paused());
        await sut.UpsertAsync("c-1", 1);

        Assert.True(await sut.Sync.DeleteConfigurationAsync(Categories, None));
        Assert.False(await sut.Sync.DeleteConfigurationAsync(Categories, None));

        Assert.False(await sut.UpsertAsync("c-2", 2));
        Assert.Empty(await sut.Sync.GetConfigurationsAsync(None));
        Assert.Empty(await HeldAsync(sut.Store, Categories, "search"));
        Assert.Throws<ArgumentException>(() => sut.Sync.GetStatus(Categories));
        await Assert.ThrowsAsync<ArgumentException>(() => sut.Sync.PauseAsync(Categories, None).AsTask());
    }

    [Fact]
    public void AddEntitySync_invalid_or_duplicate_type_throws_at_registration()
    {
        var empty = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddCommerceJobs(jobs => jobs.AddEntitySync("")));
        Assert.Contains("is not a valid entity type name", empty.Message, StringComparison.Ordinal);

        var duplicate = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddCommerceJobs(jobs =>
        {
            jobs.AddEntitySync("categories").DeliverTo("search");
            jobs.AddEntitySync("Categories").DeliverTo("erp");
        }));
        Assert.Contains("An entity sync of 'Categories' is already declared", duplicate.Message, StringComparison.Ordinal);

        Assert.Throws<ArgumentException>(() => new ServiceCollection().AddCommerceJobs(jobs => jobs.AddEntitySync("categories").DeliverTo()));
    }

    [Fact]
    public void Declared_unknown_target_fails_validation_naming_type_and_target()
    {
        var message = OptionsError(jobs =>
        {
            jobs.AddTarget(new RecordingTarget("search"));
            jobs.AddEntitySync(Categories).DeliverTo("search", "erp");
        });

        Assert.Contains("Entity sync 'categories': target 'erp' is not a registered delivery target (registered: search).", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Declared_without_targets_fails_validation()
    {
        var message = OptionsError(jobs => jobs.AddEntitySync(Categories));

        Assert.Contains("Entity sync 'categories': Targets must name at least one delivery target (DeliverTo).", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("BatchSize", "0", "Entity sync 'categories': BatchSize must be between 1 and 100000 (was 0).")]
    [InlineData("MaxItemsToSkip", "-1", "Entity sync 'categories': MaxItemsToSkip must be between 0 and 2147483647 (was -1).")]
    [InlineData("RetryWindow:MaxRetries", "101", "Entity sync 'categories': RetryWindow.MaxRetries must be between 0 and 100 (was 101).")]
    [InlineData("RetrySkippedAfter", "00:00:00", "Entity sync 'categories': RetrySkippedAfter must be between 00:00:01 and 1.00:00:00 (was 00:00:00).")]
    [InlineData("PollInterval", "00:00:00", "Entity sync 'categories': PollInterval must be between 00:00:00.1000000 and 01:00:00 (was 00:00:00).")]
    [InlineData("TombstoneRetention", "00:00:00", "Entity sync 'categories': TombstoneRetention must be greater than zero (was 00:00:00).")]
    [InlineData("TombstoneRetention", "-1.00:00:00", "Entity sync 'categories': TombstoneRetention must be greater than zero (was -1.00:00:00).")]
    public void Bad_setting_from_configuration_names_type_and_setting(string setting, string value, string error)
    {
        var message = OptionsError(
            jobs =>
            {
                jobs.AddTarget(new RecordingTarget("search"));
                jobs.AddEntitySync(Categories).DeliverTo("search");
            },
            ($"CommerceJobs:EntitySync:categories:{setting}", value));

        Assert.Contains(error, message, StringComparison.Ordinal);
    }

    [Fact]
    public void Configuration_overrides_code()
    {
        using var provider = CreateProvider(
            jobs =>
            {
                jobs.AddTarget(new RecordingTarget("search"));
                jobs.AddEntitySync(Categories).DeliverTo("search").Batch(size: 10).RetryWithin(maxRetries: 5, window: TimeSpan.FromMinutes(2));
            },
            ("CommerceJobs:EntitySync:categories:BatchSize", "500"));

        var options = provider.GetRequiredService<IOptionsMonitor<EntitySyncOptions>>().Get(Categories);

        Assert.Equal((500, 5, TimeSpan.FromMinutes(2)), (options.BatchSize, options.RetryWindow.MaxRetries, options.RetryWindow.Window));
    }

    [Fact]
    public void Tombstone_retention_is_30_days_unless_configured()
    {
        using var provider = CreateProvider(
            jobs =>
            {
                jobs.AddTarget(new RecordingTarget("search"));
                jobs.AddEntitySync(Categories).DeliverTo("search");
                jobs.AddEntitySync("buyers").DeliverTo("search");
            },
            ("CommerceJobs:EntitySync:buyers:TombstoneRetention", "90.00:00:00"));
        var options = provider.GetRequiredService<IOptionsMonitor<EntitySyncOptions>>();

        Assert.Equal(TimeSpan.FromDays(30), options.Get(Categories).TombstoneRetention);
        Assert.Equal(TimeSpan.FromDays(90), options.Get("buyers").TombstoneRetention);
    }

    [Fact]
    public async Task Host_start_fails_on_a_declared_unknown_target()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Services.AddLogging();
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(Start));
        builder.Services.AddCommerceJobs(jobs => jobs.AddEntitySync(Categories).DeliverTo("search"));
        using var host = builder.Build();

        var ex = await Record.ExceptionAsync(() => host.StartAsync(None));

        Assert.NotNull(ex);
        Assert.Contains("Entity sync 'categories': target 'search' is not a registered delivery target", ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Host_starts_and_stops_entity_sync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = "Test" });
        builder.Services.AddLogging();
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(Start));
        var observer = new TestObserver();
        builder.Services.AddSingleton<EngineObserver>(observer);
        var search = new RecordingTarget("search");
        builder.Services.AddCommerceJobs(jobs =>
        {
            jobs.AddTarget(search);
            jobs.AddEntitySync(Categories).DeliverTo("search");
        });
        using var host = builder.Build();
        await host.StartAsync(None);
        var sync = host.Services.GetRequiredService<IEntitySync>();

        await sync.PublishAsync(EntityChange.Upsert(Categories, "c-1", null, 1), None);
        await observer.WhenLanesIdleAsync();
        await host.StopAsync(None);

        Assert.Single(search.Log);
    }

    private static ServiceProvider CreateProvider(Action<CommerceJobsBuilder> configure, params (string Key, string Value)[] configuration)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider(Start));
        var section = new ConfigurationBuilder().AddInMemoryCollection(configuration.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build().GetSection("CommerceJobs");
        services.AddCommerceJobs(section, configure);
        return services.BuildServiceProvider();
    }

    /// <summary>Reads the type's options, which validates them and its declared configuration, and returns the message.</summary>
    private static string OptionsError(Action<CommerceJobsBuilder> configure, params (string Key, string Value)[] configuration)
    {
        using var provider = CreateProvider(configure, configuration);
        return Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptionsMonitor<EntitySyncOptions>>().Get(Categories)).Message;
    }
}
