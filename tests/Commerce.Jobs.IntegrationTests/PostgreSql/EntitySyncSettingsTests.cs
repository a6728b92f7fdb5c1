using Commerce.Jobs.IntegrationTests.TestSupport;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>
/// An entity type's delivery settings changed at run time on the PostgreSQL store, through the public API: a change on one
/// host is in force on the other within the control refresh, a restart keeps it, a reset to declared reaches both.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class EntitySyncSettingsTests(PostgreSqlServer server) : IAsyncLifetime
{
    private const string Type = "items";
    private const string Schema = "es_settings";
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("entity_settings");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_setting_put_on_one_host_is_in_force_on_another_kept_over_a_restart_and_reset_everywhere()
    {
        var recorder = new EntitySyncRecorder("recording", latency: TimeSpan.Zero);
        var a = await EntitySyncHost.StartAsync("host-a", _connectionString, Schema, Type, recorder);
        var b = await EntitySyncHost.StartAsync("host-b", _connectionString, Schema, Type, recorder);
        EntitySyncConfiguration changed;
        try
        {
            var declared = await a.Sync.GetConfigurationAsync(Type, CancellationToken.None);
            Assert.Null(declared!.BatchSize);
            changed = declared with { BatchSize = 2, MaxItemsToSkip = 3, MaxRetries = 0, RetryWindow = TimeSpan.FromSeconds(2), RetrySkippedAfter = TimeSpan.FromMinutes(3) };
            await a.Sync.PutConfigurationAsync(changed, CancellationToken.None);
            await Wait.UntilAsync(async () => await b.Sync.GetConfigurationAsync(Type, CancellationToken.None) == changed, () => "host B did not take the settings up");

            // Delivered by either host under the new settings.
            await b.Sync.PublishAsync([.. Enumerable.Range(0, 7).Select(i => EntityChange.Upsert(Type, $"i-{i}", null, 1))], CancellationToken.None);
            await Wait.UntilAsync(() => recorder.Deliveries.Select(d => d.Id).Distinct().Count() == 7, () => $"delivered {string.Join("; ", recorder.Deliveries)}");
        }
        finally
        {
            await a.StopAsync();
            await b.StopAsync();
        }

        // A restart keeps them; a reset to declared on one host reaches the other.
        var c = await EntitySyncHost.StartAsync("host-c", _connectionString, Schema, Type, recorder);
        var d = await EntitySyncHost.StartAsync("host-d", _connectionString, Schema, Type, recorder);
        try
        {
            Assert.Equal(changed, await c.Sync.GetConfigurationAsync(Type, CancellationToken.None));
            Assert.Equal(changed, await d.Sync.GetConfigurationAsync(Type, CancellationToken.None));
            var reset = changed with { BatchSize = null, MaxItemsToSkip = null, MaxRetries = null, RetryWindow = null, RetrySkippedAfter = null };
            await c.Sync.PutConfigurationAsync(reset, CancellationToken.None);
            await Wait.UntilAsync(async () => await d.Sync.GetConfigurationAsync(Type, CancellationToken.None) == reset, () => "host D did not take the reset up");
        }
        finally
        {
            await c.StopAsync();
            await d.StopAsync();
        }
    }
}
