using System.Text.Json;
using Commerce.Jobs.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The entity-sync store contract, one suite every <see cref="IEntitySyncStore"/> passes unchanged (in-memory, SQLite,
/// PostgreSQL): per (type, target, id) one change is held, the newest — by version, and on equal versions a delete
/// after an upsert —; an add says how many of its changes are held; delivered versions only grow and the last delivered
/// version is the highest, tombstones (delivered deletes) are purged by time, clearing forgets a type, and any type,
/// target, id and payload is kept as written.
/// </summary>
public abstract partial class EntitySyncStoreContractTests
{
    private const string Categories = "categories";

    private static readonly Gen<StoreOp> Op =
        from kind in Gen.Frequency((5, Gen.Constant(0)), (2, Gen.Constant(1)), (2, Gen.Constant(2)), (1, Gen.Constant(3)))
        from target in Gen.Elements("search", "erp")
        from id in Gen.Choose(0, 4)
        from delete in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from version in Gen.Choose(1, 20)
        select new StoreOp(kind, target, $"c-{id}", delete, version);

    private static readonly Arbitrary<StoreOp[]> Ops = (from n in Gen.Choose(0, 60) from ops in Gen.ArrayOf(Op, n) select ops).ToArbitrary();

    /// <summary>Makes a fresh, empty store (a new database or schema per call).</summary>
    protected abstract Task<IEntitySyncStore> CreateStoreAsync();

    [Fact]
    public async Task Entity_changes_add_keeps_the_newest_change_per_id()
    {
        var store = await CreateStoreAsync();

        await store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-1", 1), Upsert("c-1", 3), Upsert("c-1", 2), Delete("c-2", 5)], repair: false, None);

        foreach (var target in new[] { "search", "ERP" })
        {
            var held = await store.GetEntityChangesAsync("Categories", target, None);
            Assert.Equal([("c-1", 3L), ("c-2", 5L)], held.Select(c => (c.Id, c.Version)).Order());
        }
    }

    [Fact]
    public async Task One_change_is_held_per_id_the_higher_version_whatever_its_kind()
    {
        var store = await CreateStoreAsync();

        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 1), Upsert("c-2", 9), Delete("c-3", 4)], repair: false, None);
        await store.AddEntityChangesAsync(["search"], [Delete("c-1", 2), Delete("c-2", 8), Upsert("c-3", 5)], repair: false, None);

        var held = await store.GetEntityChangesAsync(Categories, "search", None);
        Assert.Equal([("c-1", EntityChangeKind.Delete, 2L), ("c-2", EntityChangeKind.Upsert, 9L), ("c-3", EntityChangeKind.Upsert, 5L)], held.Select(c => (c.Id, c.Kind, c.Version)).Order());
        Assert.Equal("c-3@5", PayloadText(held.Single(c => c.Id == "c-3").Payload));
    }

    [Fact]
    public async Task On_equal_versions_a_delete_replaces_an_upsert_and_an_upsert_replaces_nothing()
    {
        var store = await CreateStoreAsync();

        // In one call and in two: the order of arrival does not matter.
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 5), Delete("c-1", 5), Delete("c-2", 5), Upsert("c-2", 5)], repair: false, None);
        await store.AddEntityChangesAsync(["search"], [Upsert("c-3", 5)], repair: false, None);
        await store.AddEntityChangesAsync(["search"], [Delete("c-3", 5)], repair: false, None);
        await store.AddEntityChangesAsync(["search"], [Delete("c-4", 5)], repair: false, None);
        await store.AddEntityChangesAsync(["search"], [Upsert("c-4", 5)], repair: false, None);

        var held = await store.GetEntityChangesAsync(Categories, "search", None);
        Assert.Equal(["c-1", "c-2", "c-3", "c-4"], held.Select(c => c.Id).Order());
        Assert.All(held, c => Assert.Equal((EntityChangeKind.Delete, 5L), (c.Kind, c.Version)));
    }

    [Fact]
    public async Task An_older_or_equal_change_is_ignored_and_the_held_payload_stays()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 5)], repair: false, None);

        await store.AddEntityChangesAsync(["search"], [Delete("c-1", 3), Upsert("c-1", 4), EntityChange.Upsert(Categories, "c-1", "again", 5)], repair: false, None);

        var held = Assert.Single(await store.GetEntityChangesAsync(Categories, "search", None));
        Assert.Equal((EntityChangeKind.Upsert, 5L, "c-1@5"), (held.Kind, held.Version, PayloadText(held.Payload)));
    }

    [Fact]
    public async Task Delivered_versions_only_grow_and_a_delete_is_recorded_over_an_upsert_of_its_version()
    {
        var store = await CreateStoreAsync();

        // Completions record what was delivered, whoever holds the id (the target had it).
        await DeliverAsync(store, "search", [Upsert("c-1", 5), Delete("c-3", 6), Delete("c-4", 6)], T0);
        await DeliverAsync(store, "search", [Delete("c-3", 2), Delete("c-1", 5)], T0);
        await DeliverAsync(store, "search", [Upsert("c-4", 6)], T0);

        Assert.Equal(
            new Dictionary<string, long> { ["c-1"] = 5, ["c-3"] = 6, ["c-4"] = 6 },
            await store.GetDeliveredEntityVersionsAsync(Categories, "search", None));
        Assert.Equal(3, await store.PurgeEntityTombstonesAsync(Categories, T0.AddDays(1), None));   // all three recorded as deletes
    }

    [Fact]
    public async Task The_last_delivered_version_is_the_highest_delivered_and_its_time_the_latest_delivery()
    {
        var store = await CreateStoreAsync();

        await DeliverAsync(store, "search", [Upsert("c-1", 10), Upsert("c-2", 3)], T0);
        Assert.Equal((10L, T0), ((await store.GetEntitySyncCountsAsync(Categories, "search", None)).LastDeliveredVersion, (await store.GetEntitySyncCountsAsync(Categories, "search", None)).LastDeliveredAt));

        await DeliverAsync(store, "search", [Upsert("c-3", 4)], T0.AddMinutes(1));
        var counts = await store.GetEntitySyncCountsAsync(Categories, "search", None);
        Assert.Equal((3L, 10L, T0.AddMinutes(1)), (counts.Delivered, counts.LastDeliveredVersion, counts.LastDeliveredAt));
    }

    [Fact]
    public async Task Add_returns_how_many_of_the_changes_are_held_now_for_some_target()
    {
        var store = await CreateStoreAsync();

        // One per id is held: the newest of the list (the ones it replaced are not held now).
        Assert.Equal(2, await store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-1", 1), Upsert("c-1", 3), Upsert("c-1", 2), Delete("c-2", 5)], repair: false, None));

        // The same change again, an older one, and a new id.
        Assert.Equal(1, await store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-1", 3), Upsert("c-1", 2), Delete("c-2", 4), Upsert("c-3", 1)], repair: false, None));

        // Held for one target is enough.
        Assert.Equal(1, await store.AddEntityChangesAsync(["erp"], [Upsert("c-4", 2)], repair: false, None));
        Assert.Equal(1, await store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-4", 1)], repair: false, None));

        // Stale against the delivered change: an incremental one at its version is not held, a repair is.
        await ClaimAndDeliverAsync(store, "search");
        Assert.Equal(0, await store.AddEntityChangesAsync(["search"], [Delete("c-2", 5), Upsert("c-1", 3)], repair: false, None));
        Assert.Equal(2, await store.AddEntityChangesAsync(["search"], [Delete("c-2", 5), Upsert("c-1", 3), Upsert("c-3", 0)], repair: true, None));
        Assert.Equal(0, await store.AddEntityChangesAsync([], [Upsert("c-9", 1)], repair: false, None));
        Assert.Equal(0, await store.AddEntityChangesAsync(["search"], [], repair: false, None));
    }

    [Fact]
    public async Task Purging_tombstones_removes_only_deletes_of_the_type_delivered_before_the_time()
    {
        var store = await CreateStoreAsync();
        await AddAndDeliverAsync(store, "search", [Delete("old-delete", 1), Upsert("old-upsert", 1), Delete("raised", 1)], T0);
        await AddAndDeliverAsync(store, "search", [Upsert("raised", 2)], T0);                 // no longer a tombstone
        await AddAndDeliverAsync(store, "search", [Upsert("renewed", 1)], T0);
        await AddAndDeliverAsync(store, "search", [Delete("renewed", 3), Delete("new-delete", 1)], T0.AddDays(10));
        await AddAndDeliverAsync(store, "ERP", [Delete("old-delete", 1)], T0);
        await AddAndDeliverAsync(store, "erp", [EntityChange.Delete("buyers", "old-delete", 1)], T0);

        Assert.Equal(0, await store.PurgeEntityTombstonesAsync(Categories, T0, None));
        Assert.Equal(2, await store.PurgeEntityTombstonesAsync("Categories", T0.AddDays(1), None));
        Assert.Equal(0, await store.PurgeEntityTombstonesAsync(Categories, T0.AddDays(1), None));

        Assert.Equal(
            new Dictionary<string, long> { ["old-upsert"] = 1, ["raised"] = 2, ["renewed"] = 3, ["new-delete"] = 1 },
            await store.GetDeliveredEntityVersionsAsync(Categories, "search", None));
        Assert.Empty(await store.GetDeliveredEntityVersionsAsync(Categories, "erp", None));
        Assert.Single(await store.GetDeliveredEntityVersionsAsync("buyers", "erp", None));
    }

    [Fact]
    public async Task A_delivered_change_is_forgotten_at_its_target_only_and_recorded_there()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-1", 4)], repair: false, None);

        await ClaimAndDeliverAsync(store, "search");

        Assert.Empty(await store.GetEntityChangesAsync(Categories, "search", None));
        Assert.Single(await store.GetEntityChangesAsync(Categories, "erp", None));
        Assert.Equal(new Dictionary<string, long> { ["c-1"] = 4 }, await store.GetDeliveredEntityVersionsAsync(Categories, "search", None));
        Assert.Empty(await store.GetDeliveredEntityVersionsAsync(Categories, "erp", None));
    }

    [Fact]
    public async Task Entity_sync_clear_forgets_one_target_or_the_whole_type()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-1", 1), EntityChange.Upsert("buyers", "b-1", null, 1)], repair: false, None);
        await AddAndDeliverAsync(store, "search", [Upsert("c-2", 1)], T0);

        await store.ClearEntitySyncAsync(Categories, "search", None);
        Assert.Empty(await store.GetEntityChangesAsync(Categories, "search", None));
        Assert.Empty(await store.GetDeliveredEntityVersionsAsync(Categories, "search", None));
        Assert.Single(await store.GetEntityChangesAsync(Categories, "erp", None));

        await store.ClearEntitySyncAsync(Categories, null, None);
        Assert.Empty(await store.GetEntityChangesAsync(Categories, "erp", None));
        Assert.Single(await store.GetEntityChangesAsync("buyers", "erp", None));
    }

    [Property(MaxTest = 50, Replay = "(20260329,20261025)")]
    public Property Entity_change_store_matches_its_model_for_any_sequence() => Prop.ForAll(Ops, ops => Task.Run(() => StoreMatchesModel(ops)).GetAwaiter().GetResult());

    // Runs off the test framework's synchronization context, so blocking on a store's I/O can never deadlock its few threads.
    private void StoreMatchesModel(StoreOp[] ops)
    {
        var store = CreateStoreAsync().GetAwaiter().GetResult();
        // The model: per (target, id) the held change and the delivered one, as (version, kind) — tuples order as the
        // store orders changes (by version, then a delete after an upsert) — and when it was delivered.
        var held = new Dictionary<(string Target, string Id), (long Version, EntityChangeKind Kind)>();
        var delivered = new Dictionary<(string Target, string Id), ((long Version, EntityChangeKind Kind) Change, DateTimeOffset At)>();
        for (var i = 0; i < ops.Length; i++)
        {
            var op = ops[i];
            var change = op.Delete ? Delete(op.Id, op.Version) : Upsert(op.Id, op.Version);
            var key = (op.Target, op.Id);
            var order = ((long)op.Version, change.Kind);
            var now = T0.AddMinutes(i);
            switch (op.Kind)
            {
                case 0:
                    store.AddEntityChangesAsync([op.Target], [change], repair: false, None).AsTask().GetAwaiter().GetResult();

                    // An incremental change not after the delivered one is not held at all.
                    if ((!delivered.TryGetValue(key, out var sent) || order.CompareTo(sent.Change) > 0)
                        && (!held.TryGetValue(key, out var current) || order.CompareTo(current) > 0))
                    {
                        held[key] = order;
                    }

                    break;
                case 1:
                    // Delivered by an owner that does not hold the id: recorded (only forward; again: its time renewed), the held row left alone.
                    DeliverAsync(store, op.Target, [change], now).GetAwaiter().GetResult();
                    if (!delivered.TryGetValue(key, out var last) || order.CompareTo(last.Change) >= 0)
                    {
                        delivered[key] = (order, now);
                    }

                    break;
                case 2:
                    // A claim of everything, released unattempted: rows stale against the delivered change are dropped.
                    var claimed = store.ClaimEntityChangesAsync(Categories, op.Target, new EntityChangeClaim("model", 1000, now, now.AddSeconds(1)), None).AsTask().GetAwaiter().GetResult();
                    store.CompleteEntityChangesAsync(Categories, op.Target, "model", [.. claimed.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.TransientFailure))], now, now, None).AsTask().GetAwaiter().GetResult();
                    foreach (var stale in held.Where(h => h.Key.Target == op.Target && delivered.TryGetValue(h.Key, out var d) && h.Value.CompareTo(d.Change) <= 0).ToList())
                    {
                        held.Remove(stale.Key);
                    }

                    break;
                default:
                    var before = now.AddMinutes(-op.Version);
                    var expected = delivered.Where(d => d.Value.Change.Kind == EntityChangeKind.Delete && d.Value.At < before).Select(d => d.Key).ToList();
                    Assert.Equal(expected.Count, store.PurgeEntityTombstonesAsync(Categories, before, None).AsTask().GetAwaiter().GetResult());
                    expected.ForEach(k => delivered.Remove(k));
                    break;
            }
        }

        foreach (var target in new[] { "search", "erp" })
        {
            var actualHeld = store.GetEntityChangesAsync(Categories, target, None).AsTask().GetAwaiter().GetResult()
                .Select(c => (c.Id, c.Kind, c.Version)).Order().ToList();
            var expectedHeld = held.Where(h => h.Key.Target == target).Select(h => (h.Key.Id, h.Value.Kind, h.Value.Version)).Order().ToList();
            Assert.Equal(expectedHeld, actualHeld);

            var actualDelivered = store.GetDeliveredEntityVersionsAsync(Categories, target, None).AsTask().GetAwaiter().GetResult().OrderBy(d => d.Key);
            var expectedDelivered = delivered.Where(d => d.Key.Target == target).Select(d => KeyValuePair.Create(d.Key.Id, d.Value.Change.Version)).OrderBy(d => d.Key);
            Assert.Equal(expectedDelivered, actualDelivered);
        }
    }

    [Fact]
    public async Task Entity_sync_keeps_any_type_target_id_and_payload_as_written()
    {
        var store = await CreateStoreAsync();
        var type = HostileKeys[4];
        var targets = new[] { HostileKeys[1], HostileKeys[^1] };
        var payloadText = "nul\0 and Grüße 😀 \uE000 \r\n";
        await store.AddEntityChangesAsync(targets, [.. HostileIds.Select((id, i) => EntityChange.Upsert(type, id, payloadText, i + 1))], repair: false, None);
        await store.AddEntityChangesAsync(targets, [EntityChange.Delete(type, HostileIds[3], 100)], repair: false, None);

        foreach (var target in targets)
        {
            var held = await store.GetEntityChangesAsync(type, target, None);
            Assert.All(held, c => AssertSameText(type, c.EntityType));
            Assert.Equal(
                HostileIds.Select((id, i) => (id, EntityChangeKind.Upsert, (long)i + 1)).Where(c => c.id != HostileIds[3]).Append((HostileIds[3], EntityChangeKind.Delete, 100L)).OrderBy(c => c.Item1, StringComparer.Ordinal).ThenBy(c => c.Item2),
                held.Select(c => (c.Id, c.Kind, c.Version)).OrderBy(c => c.Id, StringComparer.Ordinal).ThenBy(c => c.Kind));
            Assert.All(held.Where(c => c.Kind == EntityChangeKind.Upsert), c => AssertSameText(payloadText, PayloadText(c.Payload)));
        }

        // Settled by the same ids: delivered versions are kept under them, held changes are forgotten.
        var upserts = HostileIds.Select((id, i) => EntityChange.Upsert(type, id, null, i + 1)).ToList();
        await store.ClaimEntityChangesAsync(type, targets[0], new EntityChangeClaim(HostileKeys[7], 1000, T0, T0.AddMinutes(1)), None);
        await store.CompleteEntityChangesAsync(type, targets[0], HostileKeys[7], [.. upserts.Select(c => new EntityChangeCompletion(c, RecordStatus.Delivered))], T0, T0, None);
        await store.ClaimEntityChangesAsync(type, targets[1], new EntityChangeClaim(HostileKeys[7], 1000, T0, T0.AddMinutes(1)), None);
        await store.CompleteEntityChangesAsync(
            type,
            targets[1],
            HostileKeys[7],
            [.. upserts.Select((c, i) => new EntityChangeCompletion(c, i < 2 || i >= HostileIds.Count - 2 ? RecordStatus.PermanentFailure : RecordStatus.TransientFailure, HostileIds[i]))],
            T0,
            T0,
            None);
        Assert.Equal([(HostileIds[3], EntityChangeKind.Delete)], (await store.GetEntityChangesAsync(type, targets[0], None)).Select(c => (c.Id, c.Kind)));
        Assert.Equal(HostileIds.Count - 4, (await store.GetEntityChangesAsync(type, targets[1], None)).Count);
        var delivered = await store.GetDeliveredEntityVersionsAsync(type, targets[0], None);
        Assert.Equal(HostileIds.Select((id, i) => KeyValuePair.Create(id, (long)i + 1)).OrderBy(d => d.Key, StringComparer.Ordinal), delivered.OrderBy(d => d.Key, StringComparer.Ordinal));

        await store.ClearEntitySyncAsync(type, targets[1], None);
        Assert.Empty(await store.GetEntityChangesAsync(type, targets[1], None));
        Assert.Single(await store.GetEntityChangesAsync(type, targets[0], None));
    }

    [Fact]
    public async Task Tombstones_of_any_type_target_and_id_are_kept_then_purged()
    {
        var store = await CreateStoreAsync();
        var type = HostileKeys[4];
        var targets = new[] { HostileKeys[1], HostileKeys[^1] };
        await store.AddEntityChangesAsync(targets, [.. HostileIds.Select(id => EntityChange.Upsert(type, id, null, 1))], repair: false, None);
        await store.AddEntityChangesAsync(targets, [.. HostileIds.Select(id => EntityChange.Delete(type, id, 1))], repair: false, None);
        foreach (var target in targets)
        {
            var held = await store.GetEntityChangesAsync(type, target, None);
            Assert.Equal(HostileIds.Order(StringComparer.Ordinal), held.Select(c => c.Id).Order(StringComparer.Ordinal));
            Assert.All(held, c => Assert.Equal(EntityChangeKind.Delete, c.Kind));
            await ClaimAndDeliverAsync(store, target, type);
            Assert.Empty(await store.GetEntityChangesAsync(type, target, None));
            Assert.Equal(HostileIds.Order(StringComparer.Ordinal), (await store.GetDeliveredEntityVersionsAsync(type, target, None)).Keys.Order(StringComparer.Ordinal));
        }

        Assert.Equal(0, await store.PurgeEntityTombstonesAsync(type, T0, None));
        Assert.Equal(HostileIds.Count * targets.Length, await store.PurgeEntityTombstonesAsync(type, T0.AddTicks(10), None));
        Assert.All(targets, t => Assert.Empty(store.GetDeliveredEntityVersionsAsync(type, t, None).AsTask().GetAwaiter().GetResult()));
    }

    /// <summary>Completes changes as delivered by an owner that holds none of them: records them, leaves held rows alone.</summary>
    private static Task DeliverAsync(IEntitySyncStore store, string target, IReadOnlyList<EntityChange> changes, DateTimeOffset at) =>
        store.CompleteEntityChangesAsync(
            changes[0].EntityType, target, "elsewhere", [.. changes.Select(c => new EntityChangeCompletion(c, RecordStatus.Delivered))], at, at, None).AsTask();

    /// <summary>Holds changes (as repairs) and delivers them through a claim and its completion.</summary>
    private static async Task AddAndDeliverAsync(IEntitySyncStore store, string target, IReadOnlyList<EntityChange> changes, DateTimeOffset at)
    {
        await store.AddEntityChangesAsync([target], changes, repair: true, None);
        foreach (var type in changes.Select(c => c.EntityType).Distinct())
        {
            await ClaimAndDeliverAsync(store, target, type, at);
        }
    }

    /// <summary>Claims every held change of a type for a target and completes them as delivered.</summary>
    private static async Task ClaimAndDeliverAsync(IEntitySyncStore store, string target, string type = Categories, DateTimeOffset? at = null)
    {
        var now = at ?? T0;
        var claimed = await store.ClaimEntityChangesAsync(type, target, new EntityChangeClaim("deliverer", 1000, now, now.AddMinutes(1)), None);
        await store.CompleteEntityChangesAsync(type, target, "deliverer", [.. claimed.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.Delivered))], now, now, None);
    }

    private static string? PayloadText(object? payload) => payload switch
    {
        JsonElement element => element.GetString(),
        _ => payload as string,
    };

    private static EntityChange Upsert(string id, long version) => EntityChange.Upsert(Categories, id, $"{id}@{version}", version);

    private static EntityChange Delete(string id, long version) => EntityChange.Delete(Categories, id, version);

    /// <summary>One store call: 0 add, 1 complete as delivered (not held), 2 claim all and release, 3 purge tombstones delivered <see cref="Version"/> minutes before.</summary>
    public sealed record StoreOp(int Kind, string Target, string Id, bool Delete, int Version);
}
