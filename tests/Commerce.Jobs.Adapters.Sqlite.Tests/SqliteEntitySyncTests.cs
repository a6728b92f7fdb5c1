using System.Text.Json;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>
/// What the SQLite store adds to the entity-sync contract (checked in <c>EntitySyncStoreContractTests</c>): payloads are kept as
/// JSON and come back as <see cref="JsonElement"/>, and held changes survive closing the file.
/// </summary>
public sealed class SqliteEntitySyncTests : IDisposable
{
    private readonly TempDatabase _database = new();
    private readonly SqliteJobStore _store;

    public SqliteEntitySyncTests() => _store = _database.Open();

    [Fact]
    public async Task The_newest_change_per_kind_is_held_once_per_target_with_its_payload_as_json()
    {
        await _store.AddEntityChangesAsync(["search", "erp"], [Upsert("c1", 1, "Shoes"), Upsert("c1", 3, "Boots"), Upsert("c1", 2, "Sandals"), Upsert("c2", 1, "Hats")], repair: false, default);

        var held = (await HeldAsync(_store, "categories", "search")).OrderBy(c => c.Id).ToList();
        Assert.Equal(["Upsert categories:c1 v3", "Upsert categories:c2 v1"], held.Select(c => c.ToString()));
        var payload = Assert.IsType<JsonElement>(held[0].Payload);
        Assert.Equal("Boots", payload.GetProperty("name").GetString());
        Assert.Equal(3, payload.GetProperty("rank").GetInt32());
        Assert.Equal(2, (await HeldAsync(_store, "CATEGORIES", "Erp")).Count);
        Assert.Empty(await HeldAsync(_store, "categories", "kafka"));

        await _store.AddEntityChangesAsync(["erp"], [EntityChange.Upsert("buyers", "b1", null, 1), EntityChange.Upsert("buyers", "b2", JsonDocument.Parse("[1,2]").RootElement, 1)], repair: false, default);
        var buyers = (await HeldAsync(_store, "buyers", "erp")).OrderBy(c => c.Id).ToList();
        Assert.Null(buyers[0].Payload);
        Assert.Equal("[1,2]", ((JsonElement)buyers[1].Payload!).GetRawText());
    }

    [Fact]
    public async Task Held_changes_and_delivered_versions_survive_a_reopen()
    {
        await _store.AddEntityChangesAsync(["search"], [Upsert("c1", 3, "Boots")], repair: false, default);
        await _store.CompleteEntityChangesAsync("categories", "search", "host", [new(EntityChange.Delete("categories", "c2", 5), RecordStatus.Delivered)], DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch, default);
        await _store.DisposeAsync();

        using var reopened = _database.Open();
        var held = Assert.Single(await HeldAsync(reopened, "categories", "search"));
        Assert.Equal(("c1", 3L, "Boots"), (held.Id, held.Version, ((JsonElement)held.Payload!).GetProperty("name").GetString()));
        Assert.Equal(5, (await reopened.GetDeliveredEntityVersionsAsync("categories", "search", default))["c2"]);
    }

    public void Dispose()
    {
        _store.Dispose();
        _database.Dispose();
    }

    /// <summary>Every change held for (type, target), read by claiming them all.</summary>
    private static async Task<IReadOnlyList<EntityChange>> HeldAsync(SqliteJobStore store, string entityType, string targetName) =>
        [.. (await store.ClaimEntityChangesAsync(entityType, targetName, new EntityChangeClaim(Guid.NewGuid().ToString(), 10_000, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch), default)).Select(h => h.Change)];

    private static EntityChange Upsert(string id, long version, string name) => EntityChange.Upsert("categories", id, new Category(name, (int)version), version);

    private sealed record Category(string Name, int Rank);
}
