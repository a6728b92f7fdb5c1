using System.Text.Json;
using Commerce.Jobs.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The entity-sync store contract, one suite every <see cref="IEntitySyncStore"/> passes unchanged (in-memory, SQLite,
/// PostgreSQL): per (type, target, id, kind) only the newest change is held, a delete drops older held upserts of its id,
/// delivered and removed changes are forgotten up to their version, delivered versions only grow, clearing forgets a
/// type, and any type, target, id and payload is kept as written.
/// </summary>
public abstract class EntitySyncStoreContractTests
{
    private const string Categories = "categories";

    private static readonly Gen<StoreOp> Op =
        from kind in Gen.Frequency((5, Gen.Constant(0)), (2, Gen.Constant(1)), (2, Gen.Constant(2)))
        from target in Gen.Elements("search", "erp")
        from id in Gen.Choose(0, 4)
        from delete in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from version in Gen.Choose(1, 20)
        select new StoreOp(kind, target, $"c-{id}", delete, version);

    private static readonly Arbitrary<StoreOp[]> Ops = (from n in Gen.Choose(0, 60) from ops in Gen.ArrayOf(Op, n) select ops).ToArbitrary();

    /// <summary>Makes a fresh, empty store (a new database or schema per call).</summary>
    protected abstract Task<IEntitySyncStore> CreateStoreAsync();

    [Fact]
    public async Task Entity_changes_add_keeps_the_newest_change_per_id_and_kind()
    {
        var store = await CreateStoreAsync();

        await store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-1", 1), Upsert("c-1", 3), Upsert("c-1", 2), Delete("c-2", 5)], None);

        foreach (var target in new[] { "search", "ERP" })
        {
            var held = await store.GetEntityChangesAsync("Categories", target, None);
            Assert.Equal([("c-1", 3L), ("c-2", 5L)], held.Select(c => (c.Id, c.Version)).Order());
        }
    }

    [Fact]
    public async Task A_delete_drops_the_older_held_upsert_but_not_a_newer_one()
    {
        var store = await CreateStoreAsync();

        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 1), Upsert("c-2", 9)], None);
        await store.AddEntityChangesAsync(["search"], [Delete("c-1", 2), Delete("c-2", 8)], None);

        var held = await store.GetEntityChangesAsync(Categories, "search", None);
        Assert.Equal([("c-1", EntityChangeKind.Delete, 2L), ("c-2", EntityChangeKind.Upsert, 9L), ("c-2", EntityChangeKind.Delete, 8L)], held.Select(c => (c.Id, c.Kind, c.Version)).Order());
    }

    [Fact]
    public async Task Entity_changes_marked_delivered_forgets_up_to_the_version_and_records_it()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-1", 4)], None);

        await store.MarkEntityChangesDeliveredAsync("search", [Upsert("c-1", 3)], None);
        Assert.Single(await store.GetEntityChangesAsync(Categories, "search", None));

        await store.MarkEntityChangesDeliveredAsync("search", [Upsert("c-1", 4)], None);
        await store.MarkEntityChangesDeliveredAsync("search", [Upsert("c-1", 2)], None);

        Assert.Empty(await store.GetEntityChangesAsync(Categories, "search", None));
        Assert.Single(await store.GetEntityChangesAsync(Categories, "erp", None));
        Assert.Equal(new Dictionary<string, long> { ["c-1"] = 4 }, await store.GetDeliveredEntityVersionsAsync(Categories, "search", None));
        Assert.Empty(await store.GetDeliveredEntityVersionsAsync(Categories, "erp", None));
    }

    [Fact]
    public async Task Entity_sync_clear_forgets_one_target_or_the_whole_type()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-1", 1), EntityChange.Upsert("buyers", "b-1", null, 1)], None);
        await store.MarkEntityChangesDeliveredAsync("search", [Upsert("c-2", 1)], None);

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
        var held = new Dictionary<(string Target, string Id, EntityChangeKind Kind), long>();
        var delivered = new Dictionary<(string Target, string Id), long>();
        foreach (var op in ops)
        {
            var change = op.Delete ? Delete(op.Id, op.Version) : Upsert(op.Id, op.Version);
            var key = (op.Target, op.Id, change.Kind);
            switch (op.Kind)
            {
                case 0:
                    store.AddEntityChangesAsync([op.Target], [change], None).AsTask().GetAwaiter().GetResult();
                    if (!held.TryGetValue(key, out var current) || current < op.Version)
                    {
                        held[key] = op.Version;
                    }

                    if (op.Delete && held.TryGetValue((op.Target, op.Id, EntityChangeKind.Upsert), out var upsert) && upsert < op.Version)
                    {
                        held.Remove((op.Target, op.Id, EntityChangeKind.Upsert));
                    }

                    break;
                case 1:
                    store.MarkEntityChangesDeliveredAsync(op.Target, [change], None).AsTask().GetAwaiter().GetResult();
                    Forget(key, op.Version);
                    delivered[(op.Target, op.Id)] = Math.Max(delivered.GetValueOrDefault((op.Target, op.Id)), op.Version);
                    break;
                default:
                    store.RemoveEntityChangesAsync(op.Target, [change], None).AsTask().GetAwaiter().GetResult();
                    Forget(key, op.Version);
                    break;
            }
        }

        foreach (var target in new[] { "search", "erp" })
        {
            var actualHeld = store.GetEntityChangesAsync(Categories, target, None).AsTask().GetAwaiter().GetResult()
                .Select(c => (c.Id, c.Kind, c.Version)).Order().ToList();
            var expectedHeld = held.Where(h => h.Key.Target == target).Select(h => (h.Key.Id, h.Key.Kind, h.Value)).Order().ToList();
            Assert.Equal(expectedHeld, actualHeld);

            var actualDelivered = store.GetDeliveredEntityVersionsAsync(Categories, target, None).AsTask().GetAwaiter().GetResult().OrderBy(d => d.Key);
            var expectedDelivered = delivered.Where(d => d.Key.Target == target).Select(d => KeyValuePair.Create(d.Key.Id, d.Value)).OrderBy(d => d.Key);
            Assert.Equal(expectedDelivered, actualDelivered);
        }

        void Forget((string, string, EntityChangeKind) key, long version)
        {
            if (held.TryGetValue(key, out var current) && current <= version)
            {
                held.Remove(key);
            }
        }
    }

    [Fact]
    public async Task Entity_sync_keeps_any_type_target_id_and_payload_as_written()
    {
        var store = await CreateStoreAsync();
        var type = HostileKeys[4];
        var targets = new[] { HostileKeys[1], HostileKeys[^1] };
        var payloadText = "nul\0 and Grüße 😀 \uE000 \r\n";
        await store.AddEntityChangesAsync(targets, [.. HostileIds.Select((id, i) => EntityChange.Upsert(type, id, payloadText, i + 1))], None);
        await store.AddEntityChangesAsync(targets, [EntityChange.Delete(type, HostileIds[3], 100)], None);

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
        await store.MarkEntityChangesDeliveredAsync(targets[0], [.. HostileIds.Select((id, i) => EntityChange.Upsert(type, id, null, i + 1))], None);
        await store.RemoveEntityChangesAsync(targets[1], [.. HostileIds.Select((id, i) => EntityChange.Upsert(type, id, null, i + 1)).Where((_, i) => i < 2 || i >= HostileIds.Count - 2)], None);
        Assert.Equal([(HostileIds[3], EntityChangeKind.Delete)], (await store.GetEntityChangesAsync(type, targets[0], None)).Select(c => (c.Id, c.Kind)));
        Assert.Equal(HostileIds.Count - 4, (await store.GetEntityChangesAsync(type, targets[1], None)).Count);
        var delivered = await store.GetDeliveredEntityVersionsAsync(type, targets[0], None);
        Assert.Equal(HostileIds.Select((id, i) => KeyValuePair.Create(id, (long)i + 1)).OrderBy(d => d.Key, StringComparer.Ordinal), delivered.OrderBy(d => d.Key, StringComparer.Ordinal));

        await store.ClearEntitySyncAsync(type, targets[1], None);
        Assert.Empty(await store.GetEntityChangesAsync(type, targets[1], None));
        Assert.Single(await store.GetEntityChangesAsync(type, targets[0], None));
    }

    private static string? PayloadText(object? payload) => payload switch
    {
        JsonElement element => element.GetString(),
        _ => payload as string,
    };

    private static EntityChange Upsert(string id, long version) => EntityChange.Upsert(Categories, id, $"{id}@{version}", version);

    private static EntityChange Delete(string id, long version) => EntityChange.Delete(Categories, id, version);

    /// <summary>One store call: 0 add, 1 mark delivered, 2 remove.</summary>
    public sealed record StoreOp(int Kind, string Target, string Id, bool Delete, int Version);
}
