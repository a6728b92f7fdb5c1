using Commerce.Jobs.Storage;
using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The claim / complete / renew / counts contract of held entity changes, one example per rule: claims hand out rows in
/// sequence order under leases; a change that replaces a claimed one keeps its lease; stale rows are dropped at claim
/// and the claim goes on past them (it drops the stale rows it passes before it has its <c>MaxChanges</c>, and looks no
/// further: the reference model's pending count depends on it); a repair may resend the delivered version, never one below; a pause claims deletes
/// only, and a delete replaces a held upsert of an older or equal version; a skipped change waits for its due time;
/// completions by a non-owner leave the row alone; renewals touch only the owner's leases; counts are kept per type and
/// target, cleared with it, and kept over a new store on the same database.
/// </summary>
public abstract partial class EntitySyncStoreContractTests
{
    private const string OwnerA = "host-a";
    private const string OwnerB = "host-b";

    private static readonly DateTimeOffset LeaseEnd = T0.AddMinutes(1);

    /// <summary>
    /// Opens a new store over the same database as <paramref name="store"/> (a restarted host), or returns
    /// <see langword="null"/> when the store keeps nothing beyond itself (in memory).
    /// </summary>
    protected virtual Task<IEntitySyncStore?> ReopenStoreAsync(IEntitySyncStore store) => Task.FromResult<IEntitySyncStore?>(null);

    [Fact]
    public async Task Claims_hand_out_held_changes_in_sequence_order_under_a_lease_until_it_ends()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search"], [Upsert("c-3", 1), Delete("c-1", 1)], repair: false, None);
        await store.AddEntityChangesAsync(["search"], [Upsert("c-2", 1)], repair: false, None);

        var first = await ClaimAsync(store, OwnerA, max: 2);
        Assert.Equal(["c-3", "c-1"], first.Select(h => h.Change.Id));
        Assert.True(first[0].Sequence < first[1].Sequence);
        Assert.All(first, h => Assert.Equal((false, 0, (string?)null), (h.Repair, h.Attempts, h.LastError)));
        Assert.Equal(EntityChangeKind.Delete, first[1].Change.Kind);
        Assert.Equal("c-3@1", PayloadText(first[0].Change.Payload));

        var second = await ClaimAsync(store, OwnerB);
        Assert.Equal(["c-2"], second.Select(h => h.Change.Id));
        Assert.Empty(await ClaimAsync(store, OwnerB, now: LeaseEnd.AddTicks(-1)));
        Assert.Empty(await ClaimAsync(store, OwnerB, after: second[0].Sequence));

        // Leases that ended (at or before the claimer's now) are free again, for anyone.
        var again = await ClaimAsync(store, OwnerB, now: LeaseEnd);
        Assert.Equal(["c-3", "c-1", "c-2"], again.Select(h => h.Change.Id));
        Assert.Equal(first.Concat(second).Select(h => h.Sequence), again.Select(h => h.Sequence));
        Assert.Empty(await ClaimAsync(store, OwnerA, now: LeaseEnd));
        Assert.Empty(await ClaimAsync(store, OwnerA, type: "buyers"));
        Assert.Empty(await ClaimAsync(store, OwnerA, target: "erp"));
    }

    [Fact]
    public async Task A_change_that_replaces_a_claimed_one_keeps_its_lease_until_the_owner_completes()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 1)], repair: false, None);
        var claimed = Assert.Single(await ClaimAsync(store, OwnerA));

        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 2)], repair: false, None);
        Assert.Empty(await ClaimAsync(store, OwnerB));

        // Delivered the old one: the newer one stays, its lease ends, and it is claimed by sequence (a new one).
        await CompleteAsync(store, OwnerA, claimed.Change, RecordStatus.Delivered);
        var next = Assert.Single(await ClaimAsync(store, OwnerB, after: claimed.Sequence));
        Assert.Equal((2L, "c-1@2"), (next.Change.Version, PayloadText(next.Change.Payload)));
        Assert.True(next.Sequence > claimed.Sequence);
        Assert.Equal(new Dictionary<string, long> { ["c-1"] = 1 }, await store.GetDeliveredEntityVersionsAsync(Categories, "search", None));
    }

    [Fact]
    public async Task A_claim_drops_stale_rows_and_goes_on_past_them()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 1), Upsert("c-2", 3), Upsert("c-3", 1), Upsert("c-4", 1)], repair: false, None);

        // Delivered by a host that did not hold them (its lease had ended): the rows stay, stale now.
        await store.CompleteEntityChangesAsync(Categories, "search", OwnerB, [new(Upsert("c-1", 1), RecordStatus.Delivered), new(Delete("c-2", 3), RecordStatus.Delivered)], T0, T0, None);
        Assert.Equal(4, (await store.GetEntitySyncCountsAsync(Categories, "search", None)).Pending);

        var claimed = await ClaimAsync(store, OwnerA, max: 1);
        Assert.Equal(["c-3"], claimed.Select(h => h.Change.Id));
        Assert.Equal(2, (await store.GetEntitySyncCountsAsync(Categories, "search", None)).Pending);
        Assert.Equal(["c-4"], (await ClaimAsync(store, OwnerA)).Select(h => h.Change.Id));
    }

    [Fact]
    public async Task A_repair_may_resend_the_delivered_version_never_one_below_it_and_an_incremental_change_neither()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 5), Delete("c-2", 5)], repair: false, None);
        await CompleteAsync(store, OwnerA, [.. (await ClaimAsync(store, OwnerA)).Select(h => h.Change)], RecordStatus.Delivered);

        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 5), Upsert("c-2", 5), Delete("c-2", 5)], repair: false, None);
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 4), Upsert("c-2", 5)], repair: true, None);
        Assert.Equal(0, (await store.GetEntitySyncCountsAsync(Categories, "search", None)).Pending);

        // The delivered version again, as a repair (a delete of it too); an incremental change of the same position then is not after it.
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 5), Delete("c-2", 5)], repair: true, None);
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 5)], repair: false, None);
        var repairs = await ClaimAsync(store, OwnerA);
        Assert.Equal([("c-1", 5L, true), ("c-2", 5L, true)], repairs.Select(h => (h.Change.Id, h.Change.Version, h.Repair)));
        await CompleteAsync(store, OwnerA, [.. repairs.Select(h => h.Change)], RecordStatus.Delivered);

        // A newer incremental change replaces a held repair, and takes its own mark.
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 6)], repair: true, None);
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 7)], repair: false, None);
        Assert.Equal([(7L, false)], (await ClaimAsync(store, OwnerA)).Select(h => (h.Change.Version, h.Repair)));
    }

    [Fact]
    public async Task While_upserts_are_held_only_deletes_are_claimed_and_a_delete_replaces_an_older_or_equal_upsert()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 5), Upsert("c-2", 5), Upsert("c-3", 5), Delete("c-4", 1)], repair: false, None);
        await store.AddEntityChangesAsync(["search"], [Delete("c-1", 5), Delete("c-2", 6), Delete("c-3", 4)], repair: false, None);

        var deletes = await ClaimAsync(store, OwnerA, holdUpserts: true);
        Assert.Equal([("c-4", 1L), ("c-1", 5L), ("c-2", 6L)], deletes.Select(h => (h.Change.Id, h.Change.Version)));
        Assert.All(deletes, h => Assert.Equal(EntityChangeKind.Delete, h.Change.Kind));
        Assert.Empty(await ClaimAsync(store, OwnerB, holdUpserts: true));
        Assert.Equal(4, (await store.GetEntitySyncCountsAsync(Categories, "search", None)).Pending);

        var upsert = Assert.Single(await ClaimAsync(store, OwnerB));
        Assert.Equal((EntityChangeKind.Upsert, "c-3", 5L), (upsert.Change.Kind, upsert.Change.Id, upsert.Change.Version));
    }

    [Fact]
    public async Task A_skipped_change_waits_for_its_due_time_with_its_attempts_and_error()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 1), Upsert("c-2", 1)], repair: false, None);
        var claimed = await ClaimAsync(store, OwnerA);
        var due = T0.AddMinutes(5);
        await store.CompleteEntityChangesAsync(Categories, "search", OwnerA, [.. claimed.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.Skipped, "ERP busy"))], T0.AddSeconds(1), due, None);

        // Replaced meanwhile: claimable at once, not yet attempted.
        await store.AddEntityChangesAsync(["search"], [Upsert("c-2", 2)], repair: false, None);
        var replaced = Assert.Single(await ClaimAsync(store, OwnerB, now: T0.AddMinutes(1)));
        Assert.Equal(("c-2", 2L, 0, (string?)null), (replaced.Change.Id, replaced.Change.Version, replaced.Attempts, replaced.LastError));
        await CompleteAsync(store, OwnerB, replaced.Change, RecordStatus.Delivered);
        Assert.Empty(await ClaimAsync(store, OwnerB, now: due.AddTicks(-1)));

        var retried = Assert.Single(await ClaimAsync(store, OwnerB, now: due));
        Assert.Equal(("c-1", 1, "ERP busy"), (retried.Change.Id, retried.Attempts, retried.LastError));
        await store.CompleteEntityChangesAsync(Categories, "search", OwnerB, [new(retried.Change, RecordStatus.Skipped, "still busy")], due, due.AddMinutes(5), None);
        Assert.Equal((2, "still busy"), (await ClaimAsync(store, OwnerA, now: due.AddMinutes(5))).Select(h => (h.Attempts, h.LastError)).Single());

        var counts = await store.GetEntitySyncCountsAsync(Categories, "search", None);
        Assert.Equal((1L, 3L, "still busy", (DateTimeOffset?)due), (counts.Pending, counts.Skipped, counts.LastError, counts.LastErrorAt));
    }

    [Fact]
    public async Task Completions_by_a_non_owner_do_not_touch_the_row()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 1)], repair: false, None);
        var claimed = Assert.Single(await ClaimAsync(store, OwnerA));

        foreach (var status in new[] { RecordStatus.TransientFailure, RecordStatus.Skipped, RecordStatus.PermanentFailure })
        {
            await CompleteAsync(store, OwnerB, claimed.Change, status);
            await CompleteAsync(store, OwnerA.ToUpperInvariant(), claimed.Change, status);
            Assert.Empty(await ClaimAsync(store, OwnerB));
        }

        // The outcomes are counted all the same: the target had them (a delivery by a non-owner: see the stale rows' test).
        var counts = await store.GetEntitySyncCountsAsync(Categories, "search", None);
        Assert.Equal((1L, 0L, 2L, 2L), (counts.Pending, counts.Delivered, counts.Skipped, counts.Failed));

        // The owner releases it unattempted: free for anyone, unchanged.
        await CompleteAsync(store, OwnerA, claimed.Change, RecordStatus.TransientFailure);
        var again = Assert.Single(await ClaimAsync(store, OwnerB));
        Assert.Equal((claimed.Sequence, 0), (again.Sequence, again.Attempts));
    }

    [Fact]
    public async Task Delivered_or_failed_for_good_removes_the_row_unless_a_newer_change_replaced_it()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 1), Upsert("c-2", 1), Upsert("c-3", 1), Upsert("c-4", 1)], repair: false, None);
        var claimed = await ClaimAsync(store, OwnerA);
        await store.AddEntityChangesAsync(["search"], [Delete("c-2", 1), Upsert("c-4", 2)], repair: false, None);

        await store.CompleteEntityChangesAsync(
            Categories,
            "search",
            OwnerA,
            [new(claimed[0].Change, RecordStatus.Delivered), new(claimed[1].Change, RecordStatus.Delivered), new(claimed[2].Change, RecordStatus.PermanentFailure, "rejected"), new(claimed[3].Change, RecordStatus.PermanentFailure, "rejected too")],
            T0.AddSeconds(7),
            T0,
            None);

        Assert.Equal([("c-2", EntityChangeKind.Delete, 1L), ("c-4", EntityChangeKind.Upsert, 2L)], (await ClaimAsync(store, OwnerB)).Select(h => (h.Change.Id, h.Change.Kind, h.Change.Version)));
        Assert.Equal(new Dictionary<string, long> { ["c-1"] = 1, ["c-2"] = 1 }, await store.GetDeliveredEntityVersionsAsync(Categories, "search", None));
        var counts = await store.GetEntitySyncCountsAsync(Categories, "search", None);
        Assert.Equal(
            new EntitySyncCounts(2, 2, 0, 2, 1, T0.AddSeconds(7), "rejected too", T0.AddSeconds(7)),
            counts);
    }

    [Fact]
    public async Task Renewing_extends_only_the_owners_leases_of_the_type_and_target()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-1", 1), Upsert("c-2", 1)], repair: false, None);
        Assert.Single(await ClaimAsync(store, OwnerA, max: 1));
        Assert.Single(await ClaimAsync(store, OwnerB, max: 1));
        Assert.Equal(2, (await ClaimAsync(store, OwnerA, target: "erp")).Count);

        Assert.Equal(1, await store.RenewEntityLeasesAsync("Categories", "SEARCH", OwnerA, T0.AddMinutes(10), None));
        Assert.Equal(0, await store.RenewEntityLeasesAsync(Categories, "search", "host-c", T0.AddMinutes(10), None));

        // After the old leases: B's and the other target's are free, A's renewed one is not.
        Assert.Equal(["c-2"], (await ClaimAsync(store, "host-c", now: T0.AddMinutes(5))).Select(h => h.Change.Id));
        Assert.Equal(2, (await ClaimAsync(store, "host-c", target: "erp", now: T0.AddMinutes(5))).Count);
        Assert.Equal(["c-1", "c-2"], (await ClaimAsync(store, "host-c", now: T0.AddMinutes(10))).Select(h => h.Change.Id));
    }

    [Fact]
    public async Task Counts_are_per_type_and_target_and_cleared_with_it()
    {
        var store = await CreateStoreAsync();
        Assert.Equal(new EntitySyncCounts(0, 0, 0, 0, null, null, null, null), await store.GetEntitySyncCountsAsync(Categories, "search", None));
        await store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-1", 3), Upsert("c-2", 4), EntityChange.Upsert("buyers", "b-1", null, 1)], repair: false, None);
        var claimed = await ClaimAsync(store, OwnerA);
        await store.CompleteEntityChangesAsync(Categories, "search", OwnerA, [new(claimed[0].Change, RecordStatus.Delivered), new(claimed[1].Change, RecordStatus.Skipped, "busy")], T0.AddSeconds(3), T0.AddMinutes(1), None);

        Assert.Equal(new EntitySyncCounts(1, 1, 1, 0, 3, T0.AddSeconds(3), "busy", T0.AddSeconds(3)), await store.GetEntitySyncCountsAsync("CATEGORIES", "Search", None));
        Assert.Equal(new EntitySyncCounts(2, 0, 0, 0, null, null, null, null), await store.GetEntitySyncCountsAsync(Categories, "erp", None));
        Assert.Equal(1, (await store.GetEntitySyncCountsAsync("buyers", "search", None)).Pending);

        await store.ClearEntitySyncAsync(Categories, "search", None);
        Assert.Equal(new EntitySyncCounts(0, 0, 0, 0, null, null, null, null), await store.GetEntitySyncCountsAsync(Categories, "search", None));
        Assert.Equal(2, (await store.GetEntitySyncCountsAsync(Categories, "erp", None)).Pending);
        await CompleteAsync(store, OwnerA, [Upsert("c-1", 3)], RecordStatus.Delivered, target: "erp");
        await store.ClearEntitySyncAsync(Categories, null, None);
        Assert.Equal(new EntitySyncCounts(0, 0, 0, 0, null, null, null, null), await store.GetEntitySyncCountsAsync(Categories, "erp", None));
        Assert.Equal(1, (await store.GetEntitySyncCountsAsync("buyers", "erp", None)).Pending);
    }

    [Fact]
    public async Task Held_rows_leases_and_counts_are_kept_by_a_new_store_over_the_same_database()
    {
        var store = await CreateStoreAsync();
        await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 1), Upsert("c-2", 1), Upsert("c-3", 1)], repair: false, None);
        var claimed = await ClaimAsync(store, OwnerA, max: 2);
        await store.CompleteEntityChangesAsync(Categories, "search", OwnerA, [new(claimed[0].Change, RecordStatus.Delivered), new(claimed[1].Change, RecordStatus.Skipped, "busy")], T0, T0.AddMinutes(5), None);
        var before = await store.GetEntitySyncCountsAsync(Categories, "search", None);
        Assert.Single(await ClaimAsync(store, OwnerA));

        if (await ReopenStoreAsync(store) is not { } reopened)
        {
            return;
        }

        Assert.Equal(before, await reopened.GetEntitySyncCountsAsync(Categories, "search", None));
        Assert.Empty(await ClaimAsync(reopened, OwnerB, now: T0.AddSeconds(30)));
        Assert.Equal([("c-2", 1), ("c-3", 0)], (await ClaimAsync(reopened, OwnerB, now: T0.AddMinutes(5))).Select(h => (h.Change.Id, h.Attempts)));
        await reopened.AddEntityChangesAsync(["search"], [Upsert("c-1", 1), Upsert("c-4", 1)], repair: false, None);
        var next = Assert.Single(await ClaimAsync(reopened, OwnerB, now: T0.AddMinutes(5)));
        Assert.Equal("c-4", next.Change.Id);
        Assert.True(next.Sequence > claimed.Max(h => h.Sequence));
    }

    [Fact]
    public async Task Claims_and_completions_keep_any_type_target_id_owner_and_error_as_written()
    {
        var store = await CreateStoreAsync();
        var type = HostileKeys[4];
        var target = HostileKeys[^1];
        var error = HostileTexts[^1];
        await store.AddEntityChangesAsync([target], [.. HostileIds.Select((id, i) => EntityChange.Upsert(type, id, $"{i}\0\r\n", i + 1))], repair: false, None);

        foreach (var owner in HostileKeys.Take(6))
        {
            var claimed = Assert.Single(await store.ClaimEntityChangesAsync(type, target, new EntityChangeClaim(owner, 1, T0, LeaseEnd), None));
            await store.CompleteEntityChangesAsync(type, target, owner, [new(claimed.Change, RecordStatus.Skipped, error)], T0, T0.AddMinutes(1), None);
        }

        var all = await store.ClaimEntityChangesAsync(type, target, new EntityChangeClaim(HostileKeys[7], 100, T0.AddMinutes(1), T0.AddMinutes(2)), None);
        Assert.Equal(HostileIds.Order(StringComparer.Ordinal), all.Select(h => h.Change.Id).Order(StringComparer.Ordinal));
        Assert.All(all, h =>
        {
            AssertSameText(type, h.Change.EntityType);
            var index = HostileIds.ToList().IndexOf(h.Change.Id);
            AssertSameText($"{index}\0\r\n", PayloadText(h.Change.Payload));
            AssertSameText(index < 6 ? error : null, h.LastError);
        });

        Assert.Equal(HostileIds.Count, await store.RenewEntityLeasesAsync(type, target, HostileKeys[7], T0.AddMinutes(3), None));
        await store.CompleteEntityChangesAsync(type, target, HostileKeys[7], [.. all.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.Delivered))], T0.AddMinutes(2), T0, None);
        var counts = await store.GetEntitySyncCountsAsync(type, target, None);
        Assert.Equal((0L, (long)HostileIds.Count, 6L), (counts.Pending, counts.Delivered, counts.Skipped));
        AssertSameText(error, counts.LastError);
        Assert.Equal(HostileIds.Count, (await store.GetDeliveredEntityVersionsAsync(type, target, None)).Count);
    }

    private static async Task<IReadOnlyList<HeldEntityChange>> ClaimAsync(
        IEntitySyncStore store, string owner, int max = 100, DateTimeOffset? now = null, bool holdUpserts = false, long after = 0, string type = Categories, string target = "search")
    {
        var at = now ?? T0;
        return await store.ClaimEntityChangesAsync(type, target, new EntityChangeClaim(owner, max, at, at + (LeaseEnd - T0), holdUpserts, after), None);
    }

    private static Task CompleteAsync(IEntitySyncStore store, string owner, EntityChange change, RecordStatus status) =>
        CompleteAsync(store, owner, [change], status);

    private static async Task CompleteAsync(IEntitySyncStore store, string owner, IReadOnlyList<EntityChange> changes, RecordStatus status, string target = "search") =>
        await store.CompleteEntityChangesAsync(Categories, target, owner, [.. changes.Select(c => new EntityChangeCompletion(c, status, status == RecordStatus.Delivered ? null : "error"))], T0, T0, None);
}
