using System.Text.Json;
using Commerce.Jobs.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Data.Sqlite;
using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>
/// The claim path of held entity changes on a real SQLite file: what any text and payload become after a claim, a claim
/// reading one index range per page over many rows, and the rules of add, claim, complete, renew and counts.
/// </summary>
public sealed class SqliteEntityClaimTests : IDisposable
{
    private const string Categories = "categories";
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(5);
    private readonly TempDatabase _database = new();
    private readonly SqliteJobStore _store;

    public SqliteEntityClaimTests() => _store = _database.Open();

    public void Dispose()
    {
        _store.Dispose();
        _database.Dispose();
    }

    [Fact]
    public async Task Claims_hand_out_held_changes_in_sequence_order_once_until_the_lease_ends()
    {
        await _store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-3", 1), Upsert("c-1", 1), Delete("c-2", 1)], repair: false, None);
        await _store.AddEntityChangesAsync(["search"], [Upsert("c-0", 1)], repair: false, None);

        var first = await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 2, T0), None);
        Assert.Equal(["c-3", "c-1"], first.Select(h => h.Change.Id));
        Assert.True(first[0].Sequence < first[1].Sequence);
        var second = await _store.ClaimEntityChangesAsync("CATEGORIES", "Search", Claim("host-b", 10, T0), None);
        Assert.Equal(["c-2", "c-0"], second.Select(h => h.Change.Id));
        Assert.Empty(await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-c", 10, T0.Add(Lease).AddTicks(-10_000)), None));

        // A pass reads forward; a lease that ended frees the change for anyone.
        Assert.Equal(["c-2", "c-0"], (await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-c", 10, T0.Add(Lease), after: first[^1].Sequence), None)).Select(h => h.Change.Id));
        Assert.Equal(["c-3", "c-1"], (await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-c", 10, T0.Add(Lease)), None)).Select(h => h.Change.Id));
        Assert.Equal(3, (await _store.ClaimEntityChangesAsync(Categories, "erp", Claim("host-a", 10, T0), None)).Count);
        Assert.Empty(await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 0, T0.AddDays(1)), None));
    }

    [Fact]
    public async Task Any_type_target_id_and_owner_is_claimed_completed_and_counted_as_written()
    {
        var type = HostileKeys[4];
        var targets = new[] { HostileKeys[1], HostileKeys[^1] };
        var owner = HostileKeys[2];
        await _store.AddEntityChangesAsync(targets, [.. HostileIds.Select((id, i) => EntityChange.Upsert(type, id, i, i + 1))], repair: false, None);

        foreach (var target in targets)
        {
            var claimed = await _store.ClaimEntityChangesAsync(type, target, Claim(owner, 1000, T0), None);
            Assert.Equal(HostileIds.Count, claimed.Count);
            for (var i = 0; i < claimed.Count; i++)
            {
                AssertSameText(type, claimed[i].Change.EntityType);
                AssertSameText(HostileIds[i], claimed[i].Change.Id);
                Assert.Equal(i, ((JsonElement)claimed[i].Change.Payload!).GetInt32());
            }

            Assert.Equal(HostileIds.Count, await _store.RenewEntityLeasesAsync(type, target, owner, T0.AddHours(1), None));
            await _store.CompleteEntityChangesAsync(type, target, owner, [.. claimed.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.Delivered))], T0, T0, None);
            Assert.Equal((0L, (long)HostileIds.Count), await PendingAndDelivered(type, target));
            Assert.Equal(HostileIds.Order(StringComparer.Ordinal), (await _store.GetDeliveredEntityVersionsAsync(type, target, None)).Keys.Order(StringComparer.Ordinal));
        }

        // The same ids at the delivered versions are stale for an incremental change: not held again.
        await _store.AddEntityChangesAsync(targets, [.. HostileIds.Select((id, i) => EntityChange.Upsert(type, id, i, i + 1))], repair: false, None);
        Assert.Equal(0, (await _store.GetEntitySyncCountsAsync(type, targets[0], None)).Pending);
    }

    [Property(MaxTest = 100)]
    public Property Any_payload_and_error_text_comes_back_unchanged_through_a_claim() =>
        Prop.ForAll(HostileStrings, HostileStrings, (text, error) => Task.Run(() => RoundTrip(text, error)).GetAwaiter().GetResult());

    [Fact]
    public async Task Payloads_come_back_as_json_through_a_claim()
    {
        var document = JsonDocument.Parse("""{"name":"Grüße 😀","lines":["a\r\nb",null,1.5e300],"nested":{"empty":""}}""").RootElement;
        await _store.AddEntityChangesAsync(["search"],
        [
            EntityChange.Upsert(Categories, "record", new Category("Boots", 3), 1),
            EntityChange.Upsert(Categories, "element", document, 1),
            EntityChange.Upsert(Categories, "null", null, 1),
            EntityChange.Upsert(Categories, "huge", new string('x', 1_000_000), 1),
            Delete("deleted", 1),
        ], repair: false, None);

        var claimed = (await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 10, T0), None)).ToDictionary(h => h.Change.Id, h => h.Change);
        var record = Assert.IsType<JsonElement>(claimed["record"].Payload);
        Assert.Equal(("Boots", 3), (record.GetProperty("name").GetString(), record.GetProperty("rank").GetInt32()));
        Assert.True(JsonElement.DeepEquals(document, Assert.IsType<JsonElement>(claimed["element"].Payload)));
        Assert.Null(claimed["null"].Payload);
        Assert.Equal(1_000_000, ((JsonElement)claimed["huge"].Payload!).GetString()!.Length);
        Assert.Equal((EntityChangeKind.Delete, (object?)null), (claimed["deleted"].Kind, claimed["deleted"].Payload));
    }

    [Fact]
    public async Task A_claim_over_10000_rows_takes_one_page_at_a_time_in_sequence_order()
    {
        const int Rows = 10_000, Page = 250;
        await _store.AddEntityChangesAsync(["search"], [.. Enumerable.Range(0, Rows).Select(i => i % 10 == 0 ? Delete($"c-{i:D5}", 1) : Upsert($"c-{i:D5}", 1))], repair: false, None);

        // Each page is the next MaxChanges rows after the last sequence read; a pass ends on an empty page.
        var seen = new List<HeldEntityChange>();
        long after = 0;
        for (var pages = 0; ; pages++)
        {
            var page = await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", Page, T0, after), None);
            if (page.Count == 0)
            {
                Assert.Equal(Rows / Page, pages);
                break;
            }

            Assert.Equal(Page, page.Count);
            seen.AddRange(page);
            after = page[^1].Sequence;
        }

        Assert.Equal(Enumerable.Range(0, Rows).Select(i => $"c-{i:D5}"), seen.Select(h => h.Change.Id));
        Assert.Equal(seen.Select(h => h.Sequence).Order(), seen.Select(h => h.Sequence));
        Assert.Equal(Rows, seen.Select(h => h.Sequence).Distinct().Count());

        // A page is one range of an index in sequence order: no table scan, no sort of the type's rows.
        foreach (var (sql, index) in new[] { (SqliteJobStore.ClaimSql, "ix_entity_held_claim"), (SqliteJobStore.ClaimDeletesSql, "ix_entity_held_deletes") })
        {
            var plan = QueryPlan(sql);
            Assert.Contains(plan, step => step.StartsWith("SEARCH h USING INDEX " + index + " (entity_type=? AND target_name=? AND sequence>?)", StringComparison.Ordinal));
            Assert.DoesNotContain(plan, step => step.Contains("SCAN h", StringComparison.Ordinal) || step.Contains("TEMP B-TREE", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Skipped_changes_not_yet_due_are_out_of_the_claim_index_until_a_claim_at_their_due_time()
    {
        await _store.AddEntityChangesAsync(["search"], [.. Enumerable.Range(0, 1_000).Select(i => i % 10 == 0 ? Delete($"c-{i:D4}", 1) : Upsert($"c-{i:D4}", 1))], repair: false, None);
        var claimed = await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 1_000, T0), None);
        var retryAt = T0.AddMinutes(10);
        await _store.CompleteEntityChangesAsync(Categories, "search", "host-a", [.. claimed.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.Skipped, "busy"))], T0, retryAt, None);
        await _store.AddEntityChangesAsync(["search"], [Upsert("new", 1)], repair: false, None);

        // Before the due time a claim finds the new change only; the skipped ones are not in the range it reads.
        Assert.Equal(["new"], (await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-b", 1_000, retryAt.AddTicks(-10_000)), None)).Select(h => h.Change.Id));
        Assert.Equal(1, CountInIndex("ix_entity_held_claim"));
        Assert.Equal(1_000, CountInIndex("ix_entity_held_waiting"));

        // A claim at the due time clears their due time first (one range of ix_entity_held_waiting), then claims them.
        var retried = await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-b", 1_000, retryAt), None);
        Assert.Equal(claimed.Select(h => (h.Change.Id, h.Sequence, 1, "busy")), retried.Select(h => (h.Change.Id, h.Sequence, h.Attempts, h.LastError!)));
        Assert.Equal(0, CountInIndex("ix_entity_held_waiting"));

        var promote = QueryPlan(SqliteJobStore.PromoteSql);
        Assert.Contains(promote, step => step.StartsWith("SEARCH entity_held USING INDEX ix_entity_held_waiting (entity_type=? AND target_name=? AND available_at<?)", StringComparison.Ordinal));
        Assert.DoesNotContain(promote, step => step.Contains("SCAN", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_claim_removes_stale_changes_and_reads_on_past_them_until_it_has_max_changes()
    {
        // 1,000 held upserts that became stale (delivered at a higher version by an owner that did not hold them), then 5 current ones.
        var stale = Enumerable.Range(0, 1000).Select(i => Upsert($"s-{i:D4}", 1)).ToList();
        await _store.AddEntityChangesAsync(["search"], [.. stale, .. Enumerable.Range(0, 5).Select(i => Upsert($"c-{i}", 1))], repair: false, None);
        await _store.CompleteEntityChangesAsync(Categories, "search", "elsewhere", [.. stale.Select(c => new EntityChangeCompletion(Upsert(c.Id, 2), RecordStatus.Delivered))], T0, T0, None);
        Assert.Equal(1005, await PendingAsync());

        var claimed = await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 5, T0), None);

        Assert.Equal(["c-0", "c-1", "c-2", "c-3", "c-4"], claimed.Select(h => h.Change.Id));
        Assert.Equal(5, await PendingAsync());
    }

    [Fact]
    public async Task Incremental_changes_are_held_only_after_the_delivered_one_and_repairs_not_below_it()
    {
        await DeliverAsync(Upsert("up", 5), Delete("gone", 5));

        await _store.AddEntityChangesAsync(["search"], [Upsert("up", 5), Upsert("up", 4), Upsert("gone", 5), Delete("gone", 5), Upsert("gone", 4)], repair: false, None);
        Assert.Equal(0, await PendingAsync());
        await _store.AddEntityChangesAsync(["search"], [Upsert("gone", 6)], repair: false, None);
        Assert.Equal([("gone", EntityChangeKind.Upsert, 6L, false)], await ClaimAllAsync("host-a"));

        // A repair may send the delivered change again, never one before it.
        await DeliverAsync(Delete("deleted", 3));
        await _store.AddEntityChangesAsync(["search"], [Upsert("up", 4), Upsert("deleted", 3), Delete("deleted", 2)], repair: true, None);
        Assert.Equal(1, await PendingAsync());
        await _store.AddEntityChangesAsync(["search"], [Upsert("up", 5), Delete("deleted", 3)], repair: true, None);
        Assert.Equal([("deleted", EntityChangeKind.Delete, 3L, true), ("up", EntityChangeKind.Upsert, 5L, true)], (await ClaimAllAsync("host-b")).Order().ToList());

        // A version delivered before kinds were kept counts as an upsert: a delete of it is after it.
        using (var connection = Connect())
        {
            Execute(connection, "INSERT INTO entity_delivered (entity_type, target_name, entity_id, version) VALUES ('categories', 'search', 'old', 7);");
        }

        await _store.AddEntityChangesAsync(["search"], [Upsert("old", 7), Delete("old", 7)], repair: false, None);
        Assert.Equal([("old", EntityChangeKind.Delete, 7L, false)], await ClaimAllAsync("host-c"));
    }

    [Fact]
    public async Task Held_changes_that_fell_behind_the_delivered_one_are_removed_by_the_claim_repairs_kept_at_it()
    {
        await _store.AddEntityChangesAsync(["search"], [Upsert("inc-equal", 5), Upsert("inc-below", 4), Delete("inc-delete", 5)], repair: false, None);
        await _store.AddEntityChangesAsync(["search"], [Upsert("rep-equal", 5), Upsert("rep-below", 4), Upsert("rep-under-delete", 5), Delete("rep-delete", 5)], repair: true, None);
        await _store.CompleteEntityChangesAsync(Categories, "search", "elsewhere",
            [.. new[] { Upsert("inc-equal", 5), Upsert("inc-below", 5), Delete("inc-delete", 5), Upsert("rep-equal", 5), Upsert("rep-below", 5), Delete("rep-under-delete", 5), Delete("rep-delete", 5) }
                .Select(c => new EntityChangeCompletion(c, RecordStatus.Delivered))], T0, T0, None);

        Assert.Equal([("rep-delete", EntityChangeKind.Delete, 5L, true), ("rep-equal", EntityChangeKind.Upsert, 5L, true)], (await ClaimAllAsync("host-a")).Order().ToList());
        Assert.Equal(2, await PendingAsync());
    }

    [Fact]
    public async Task A_change_replacing_a_claimed_one_keeps_the_lease_and_takes_a_new_sequence()
    {
        await _store.AddEntityChangesAsync(["search"], [Upsert("c-1", 1), Upsert("c-2", 1)], repair: false, None);
        var claimed = await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 10, T0), None);
        await _store.CompleteEntityChangesAsync(Categories, "search", "host-a", [new(claimed[1].Change, RecordStatus.Skipped, "busy")], T0, T0, None);
        await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 10, T0, after: claimed[0].Sequence), None);

        await _store.AddEntityChangesAsync(["search"], [Upsert("c-1", 2), Delete("c-2", 2)], repair: true, None);

        // host-a still holds both ids; only when it completes does anyone else get the newer changes.
        Assert.Empty(await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-b", 10, T0), None));
        Assert.Equal(2, await _store.RenewEntityLeasesAsync(Categories, "search", "host-a", T0.AddHours(1), None));
        await _store.CompleteEntityChangesAsync(Categories, "search", "host-a",
            [new(claimed[0].Change, RecordStatus.Delivered), new(claimed[1].Change, RecordStatus.Skipped, "busy again")], T0, T0.AddDays(1), None);

        var next = await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-b", 10, T0), None);
        Assert.Equal([("c-1", 2L, true, 0, (string?)null), ("c-2", 2L, true, 0, null)], next.Select(h => (h.Change.Id, h.Change.Version, h.Repair, h.Attempts, h.LastError)));
        Assert.All(next, h => Assert.True(h.Sequence > claimed[^1].Sequence));
        Assert.Equal(new Dictionary<string, long> { ["c-1"] = 1 }, await _store.GetDeliveredEntityVersionsAsync(Categories, "search", None));
    }

    [Fact]
    public async Task Completions_settle_only_what_the_owner_holds_and_count_every_outcome()
    {
        await _store.AddEntityChangesAsync(["search"], [Upsert("delivered", 1), Upsert("skipped", 1), Upsert("failed", 1), Upsert("released", 1), Upsert("taken", 1)], repair: false, None);
        var claimed = (await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 10, T0), None)).ToDictionary(h => h.Change.Id, h => h.Change);
        var later = T0.Add(Lease);
        var taken = new EntityChangeClaim("host-b", 1, later, later.AddHours(1), AfterSequence: SequenceOf("released"));
        Assert.Equal("taken", Assert.Single(await _store.ClaimEntityChangesAsync(Categories, "search", taken, None)).Change.Id); // host-a's lease ended

        var at = T0.AddMinutes(1);
        var retryAt = T0.AddMinutes(30);
        await _store.CompleteEntityChangesAsync(Categories, "search", "host-a",
        [
            new(claimed["delivered"], RecordStatus.Delivered),
            new(claimed["skipped"], RecordStatus.Skipped, "ERP busy"),
            new(claimed["failed"], RecordStatus.PermanentFailure, "rejected\r\n"),
            new(claimed["released"], RecordStatus.TransientFailure),
            new(claimed["taken"], RecordStatus.Delivered),
        ], at, retryAt, None);

        // The skipped change waits until retryAt; the released one is free now; host-b still holds "taken".
        Assert.Equal(new EntitySyncCounts(3, 2, 1, 1, 1, at, "rejected\r\n", at), await _store.GetEntitySyncCountsAsync(Categories, "search", None));
        Assert.Equal(["released"], (await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-c", 10, retryAt.AddTicks(-10_000)), None)).Select(h => h.Change.Id));
        var retried = Assert.Single(await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-c", 10, retryAt), None));
        Assert.Equal(("skipped", 1, "ERP busy"), (retried.Change.Id, retried.Attempts, retried.LastError));
        await _store.CompleteEntityChangesAsync(Categories, "search", "host-b", [new(claimed["taken"], RecordStatus.Delivered)], later, later, None);
        Assert.Equal(new EntitySyncCounts(2, 3, 1, 1, 1, later, "rejected\r\n", at), await _store.GetEntitySyncCountsAsync(Categories, "search", None));
        Assert.Equal(new Dictionary<string, long> { ["delivered"] = 1, ["taken"] = 1 }, await _store.GetDeliveredEntityVersionsAsync(Categories, "search", None));

        // A transient release only ends the lease; counts stay.
        await _store.CompleteEntityChangesAsync(Categories, "search", "host-c", [new(retried.Change, RecordStatus.TransientFailure)], later, later, None);
        Assert.Equal(new EntitySyncCounts(2, 3, 1, 1, 1, later, "rejected\r\n", at), await _store.GetEntitySyncCountsAsync(Categories, "search", None));
        Assert.Equal(("skipped", 1), (await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-d", 10, retryAt), None)).Where(h => h.Change.Id == "skipped").Select(h => (h.Change.Id, h.Attempts)).Single());
    }

    [Fact]
    public async Task A_delivery_keeps_a_newer_held_change_and_records_the_delivered_one_with_its_kind()
    {
        await _store.AddEntityChangesAsync(["search"], [Upsert("c-1", 3)], repair: false, None);
        var claimed = Assert.Single(await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 10, T0), None));
        await _store.AddEntityChangesAsync(["search"], [Delete("c-1", 3)], repair: false, None);

        await _store.CompleteEntityChangesAsync(Categories, "search", "host-a", [new(claimed.Change, RecordStatus.Delivered)], T0, T0, None);
        var delete = Assert.Single(await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-b", 10, T0), None));
        Assert.Equal((EntityChangeKind.Delete, 3L), (delete.Change.Kind, delete.Change.Version));
        await _store.CompleteEntityChangesAsync(Categories, "search", "host-b", [new(delete.Change, RecordStatus.Delivered)], T0.AddDays(1), T0, None);

        // The delete is the delivered change now, a tombstone with its time; an older delivery does not take it back.
        await _store.CompleteEntityChangesAsync(Categories, "search", "host-b", [new(Upsert("c-1", 3), RecordStatus.Delivered)], T0.AddDays(2), T0, None);
        await _store.AddEntityChangesAsync(["search"], [Upsert("c-1", 3)], repair: true, None);
        Assert.Equal(0, await PendingAsync());
        Assert.Equal(0, await _store.PurgeEntityTombstonesAsync(Categories, T0.AddDays(1), None));
        Assert.Equal(1, await _store.PurgeEntityTombstonesAsync(Categories, T0.AddDays(1).AddTicks(1), None));
    }

    [Fact]
    public async Task Paused_claims_take_only_deletes_and_leave_upserts_in_place()
    {
        await _store.AddEntityChangesAsync(["search"], [Upsert("u-1", 1), Delete("d-1", 1), Upsert("u-2", 1), Delete("d-2", 1)], repair: false, None);

        var deletes = await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 10, T0, holdUpserts: true), None);
        Assert.Equal(["d-1", "d-2"], deletes.Select(h => h.Change.Id));
        Assert.Equal(["u-1", "u-2"], (await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 10, T0), None)).Select(h => h.Change.Id));
    }

    [Fact]
    public async Task Leases_are_renewed_for_their_owner_only()
    {
        await _store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-1", 1), Upsert("c-2", 1)], repair: false, None);
        await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 1, T0), None);
        await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-b", 1, T0), None);
        await _store.ClaimEntityChangesAsync(Categories, "erp", Claim("host-a", 2, T0), None);

        Assert.Equal(1, await _store.RenewEntityLeasesAsync(Categories, "SEARCH", "host-a", T0.AddHours(1), None));
        Assert.Equal(0, await _store.RenewEntityLeasesAsync(Categories, "search", "host-c", T0.AddHours(1), None));

        // At T0 + 30 minutes host-b's lease has ended and host-a's renewed one has not.
        Assert.Equal(["c-2"], (await _store.ClaimEntityChangesAsync(Categories, "search", Claim("host-c", 10, T0.AddMinutes(30)), None)).Select(h => h.Change.Id));
        Assert.Equal(2, (await _store.ClaimEntityChangesAsync(Categories, "erp", Claim("host-c", 10, T0.AddMinutes(30)), None)).Count);
    }

    [Fact]
    public async Task Counts_survive_a_reopen_and_are_cleared_with_the_type()
    {
        Assert.Equal(new EntitySyncCounts(0, 0, 0, 0, null, null, null, null), await _store.GetEntitySyncCountsAsync(Categories, "search", None));
        await _store.AddEntityChangesAsync(["search", "erp"], [Upsert("c-1", 4), Upsert("c-2", 1)], repair: false, None);
        foreach (var target in new[] { "search", "erp" })
        {
            var claimed = await _store.ClaimEntityChangesAsync(Categories, target, Claim("host-a", 1, T0), None);
            await _store.CompleteEntityChangesAsync(Categories, target, "host-a", [new(claimed[0].Change, RecordStatus.Delivered)], T0, T0, None);
        }

        await _store.DisposeAsync();
        using (var reopened = _database.Open())
        {
            Assert.Equal(new EntitySyncCounts(1, 1, 0, 0, 4, T0, null, null), await reopened.GetEntitySyncCountsAsync("CATEGORIES", "Search", None));
            await reopened.ClearEntitySyncAsync(Categories, "search", None);
            Assert.Equal(new EntitySyncCounts(0, 0, 0, 0, null, null, null, null), await reopened.GetEntitySyncCountsAsync(Categories, "search", None));
            Assert.Equal(new EntitySyncCounts(1, 1, 0, 0, 4, T0, null, null), await reopened.GetEntitySyncCountsAsync(Categories, "erp", None));
            await reopened.ClearEntitySyncAsync(Categories, null, None);
            Assert.Equal(new EntitySyncCounts(0, 0, 0, 0, null, null, null, null), await reopened.GetEntitySyncCountsAsync(Categories, "erp", None));
        }
    }

    [Fact]
    public async Task Opening_the_file_releases_the_entity_leases_a_previous_process_left_unless_told_not_to()
    {
        await _store.AddEntityChangesAsync(["search"], [Upsert("c-1", 1), Upsert("c-2", 1)], repair: false, None);
        await _store.ClaimEntityChangesAsync(Categories, "search", Claim("crashed", 10, T0), None);
        await _store.DisposeAsync();

        using (var kept = _database.Open(o => o.ReleaseLeasesOnOpen = false))
        {
            Assert.Empty(await kept.ClaimEntityChangesAsync(Categories, "search", Claim("host-b", 10, T0), None));
        }

        using var reopened = _database.Open();
        Assert.Equal(2, (await reopened.ClaimEntityChangesAsync(Categories, "search", Claim("host-b", 10, T0), None)).Count);
    }

    private static EntityChangeClaim Claim(string owner, int max, DateTimeOffset now, long after = 0, bool holdUpserts = false) => new(owner, max, now, now.Add(Lease), holdUpserts, after);

    private static EntityChange Upsert(string id, long version) => EntityChange.Upsert(Categories, id, $"{id}@{version}", version);

    private static EntityChange Delete(string id, long version) => EntityChange.Delete(Categories, id, version);

    private static string? PayloadText(object? payload) => payload switch
    {
        JsonElement element => element.GetString(),
        _ => payload as string,
    };

    private void RoundTrip(string text, string error)
    {
        using var database = new TempDatabase();
        using var store = database.Open();
        store.AddEntityChangesAsync(["search"], [EntityChange.Upsert(Categories, "c-1", text, 1)], repair: false, None).AsTask().GetAwaiter().GetResult();
        var claimed = Assert.Single(store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 1, T0), None).AsTask().GetAwaiter().GetResult());

        // A payload is kept as JSON: it comes back as JSON makes it (a lone surrogate, which JSON writers replace with
        // U+FFFD, as a target's serializer would), nothing else changed; an error text comes back exactly.
        var json = JsonSerializer.Deserialize<string>(JsonSerializer.Serialize(text, JsonSerializerOptions.Web), JsonSerializerOptions.Web);
        AssertSameText(json, PayloadText(claimed.Change.Payload));

        store.CompleteEntityChangesAsync(Categories, "search", "host-a", [new(claimed.Change, RecordStatus.Skipped, error)], T0, T0, None).AsTask().GetAwaiter().GetResult();
        var again = Assert.Single(store.ClaimEntityChangesAsync(Categories, "search", Claim("host-a", 1, T0), None).AsTask().GetAwaiter().GetResult());
        AssertSameText(error, again.LastError);
        AssertSameText(json, PayloadText(again.Change.Payload));
        AssertSameText(error, store.GetEntitySyncCountsAsync(Categories, "search", None).AsTask().GetAwaiter().GetResult().LastError);
    }

    private async Task DeliverAsync(params EntityChange[] changes) =>
        await _store.CompleteEntityChangesAsync(Categories, "search", "elsewhere", [.. changes.Select(c => new EntityChangeCompletion(c, RecordStatus.Delivered))], T0, T0, None);

    /// <summary>Claims every claimable change for <c>search</c> at T0 and gives each back as (id, kind, version, repair).</summary>
    private async Task<List<(string Id, EntityChangeKind Kind, long Version, bool Repair)>> ClaimAllAsync(string owner)
    {
        var claimed = await _store.ClaimEntityChangesAsync(Categories, "search", Claim(owner, 10_000, T0), None);
        return [.. claimed.Select(h => (h.Change.Id, h.Change.Kind, h.Change.Version, h.Repair))];
    }

    private async Task<long> PendingAsync() => (await _store.GetEntitySyncCountsAsync(Categories, "search", None)).Pending;

    private async Task<(long Pending, long Delivered)> PendingAndDelivered(string type, string target)
    {
        var counts = await _store.GetEntitySyncCountsAsync(type, target, None);
        return (counts.Pending, counts.Delivered);
    }

    private long SequenceOf(string id)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sequence FROM entity_held WHERE entity_id = $id;";
        command.Parameters.AddWithValue("$id", id);
        return (long)command.ExecuteScalar()!;
    }

    private List<string> QueryPlan(string sql)
    {
        using var connection = Connect();
        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + sql;
        foreach (var name in new[] { "$type", "$target", "$after", "$now_ms", "$now", "$max" })
        {
            command.Parameters.AddWithValue(name, name is "$type" or "$target" ? "x" : 1);
        }

        using var reader = command.ExecuteReader();
        var steps = new List<string>();
        while (reader.Read())
        {
            steps.Add(reader.GetString(3));
        }

        return steps;
    }

    /// <summary>How many rows an index holds (a partial index holds the rows its WHERE admits).</summary>
    private long CountInIndex(string index)
    {
        using var connection = Connect();
        using var definition = connection.CreateCommand();
        definition.CommandText = "SELECT substr(sql, instr(sql, ' WHERE ') + 7) FROM sqlite_master WHERE type = 'index' AND name = $name AND sql LIKE '% WHERE %';";
        definition.Parameters.AddWithValue("$name", index);
        var where = definition.ExecuteScalar() as string ?? "1";
        using var count = connection.CreateCommand();
        count.CommandText = $"SELECT count(*) FROM entity_held INDEXED BY {index} WHERE {where};";
        return (long)count.ExecuteScalar()!;
    }

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection($"{_database.ConnectionString};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    private sealed record Category(string Name, int Rank);
}
