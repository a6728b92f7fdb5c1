using Commerce.Jobs.IntegrationTests.TestSupport;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>
/// Entity sync across a restart on the PostgreSQL store, through the public API: what a stopped host held (upserts
/// consolidated by a pause) is delivered by the host that starts after it, once, with the pause still in force until a
/// resume; its status (counts included) is the store's, so the restart does not reset it.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class EntitySyncRestartTests(PostgreSqlServer server) : IAsyncLifetime
{
    private const string Type = "items";
    private const string Schema = "es_restart";
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("entity_restart");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_host_stopped_with_held_and_paused_changes_restarts_delivering_nothing_twice_losing_nothing_and_still_paused()
    {
        var truth = new EntitySourceOfTruth(Type);
        var recorder = new EntitySyncRecorder("recording", latency: TimeSpan.Zero);
        var (a, b, c, d) = ("a", "b\r\n\0-nul", "c-東京-😀", new string('d', 300));
        var delivered = new List<EntityChange>();
        bool Delivered(EntityChange change) => recorder.Deliveries.Any(x => x.Id == change.Id && x.Version == change.Version && x.Kind == change.Kind);

        // Host A delivers two entities, is paused, holds two more edits of one and a new one, and delivers a delete meanwhile.
        var first = await EntitySyncHost.StartAsync("host-a", _connectionString, Schema, Type, recorder, truth);
        EntityChange a3, c1;
        try
        {
            var (a1, b1) = (truth.Change(a, delete: false), truth.Change(b, delete: false));
            await first.Sync.PublishAsync([a1, b1], CancellationToken.None);
            await Wait.UntilAsync(() => Delivered(a1) && Delivered(b1), () => $"host A delivered {string.Join("; ", recorder.Deliveries)}");
            delivered.AddRange([a1, b1]);

            await first.Sync.PauseAsync(Type, CancellationToken.None);
            var a2 = truth.Change(a, delete: false);
            a3 = truth.Change(a, delete: false);
            c1 = truth.Change(c, delete: false);
            var b2 = truth.Change(b, delete: true);
            await first.Sync.PublishAsync([a2, a3, c1, b2], CancellationToken.None);
            await Wait.UntilAsync(() => Delivered(b2) && Single(first).PendingCount == 2, () => $"while paused: {first.DescribeStatus(Type)}; delivered {string.Join("; ", recorder.Deliveries)}");
            delivered.Add(b2);
        }
        finally
        {
            await first.StopAsync();
        }

        // Host B starts on the same store: still paused, the held changes there, the counts kept.
        await using var second = await EntitySyncHost.StartAsync("host-b", _connectionString, Schema, Type, recorder, truth);
        Assert.True(Single(second).PausedSince is not null, $"The pause was lost in the restart: {second.DescribeStatus(Type)}");
        await Wait.UntilAsync(
            () => Single(second) is { PendingCount: 2, DeliveredCount: 3, PausedSince: not null },
            () => $"the status after the restart does not show the held changes (a v3, c v1) and the 3 deliveries before it: {second.DescribeStatus(Type)}");

        // Still paused: a delete goes through (dropping the held upsert of its id); a new upsert is held.
        var c2 = truth.Change(c, delete: true);
        var d1 = truth.Change(d, delete: false);
        await second.Sync.PublishAsync([c2, d1], CancellationToken.None);
        await Wait.UntilAsync(() => Delivered(c2), () => $"the delete was not delivered while paused: {second.DescribeStatus(Type)}; delivered {string.Join("; ", recorder.Deliveries)}");
        delivered.Add(c2);
        Assert.Equal(Describe(delivered), Describe(recorder.Deliveries));

        // Resumed: the consolidated upserts go out, each once; nothing published before the restart is lost.
        await second.Sync.ResumeAsync(Type, CancellationToken.None);
        // The status is the store's: the deliveries before the restart count too.
        await Wait.UntilAsync(
            () => Delivered(a3) && Delivered(d1) && Single(second) is { PendingCount: 0, DeliveredCount: 6, PausedSince: null },
            () => $"after the resume: {second.DescribeStatus(Type)}; delivered {string.Join("; ", recorder.Deliveries)}");
        Assert.Equal(Describe([.. delivered, a3, d1]).Order(), Describe(recorder.Deliveries).Order());
        Assert.False(Delivered(c1), "the upsert held for an entity deleted meanwhile was delivered");
        Assert.Empty(recorder.Violations);
    }

    private static EntitySyncStatus Single(EntitySyncHost host) => Assert.Single(host.Sync.GetStatus(Type));

    private static List<string> Describe(IEnumerable<EntityChange> changes) => [.. changes.Select(c => $"{c.Kind} {EntityDelivery.Show(c.Id)} v{c.Version}")];

    private static List<string> Describe(IEnumerable<EntityDelivery> deliveries) => [.. deliveries.Select(c => $"{c.Kind} {EntityDelivery.Show(c.Id)} v{c.Version}")];
}
