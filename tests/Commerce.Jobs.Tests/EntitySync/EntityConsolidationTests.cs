using Commerce.Jobs.EntitySync;
using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;
using Commerce.Jobs.Tests.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Commerce.Jobs.EntitySync.EntityConsolidation;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>
/// The consolidation rules on their own, without clock, tasks or I/O, and through the in-memory store that applies
/// them: for any sequence of adds (upserts and deletes, incremental and repairs), claims by two owners (paused or not),
/// deliveries, skips, permanent and transient failures, renewals and time passing, the versions handed out for an id
/// never go below the delivered one (an incremental change never at it), at most one owner holds an id, pending is the
/// held rows, a paused claim hands out deletes and no upsert, and once drained each id's delivered change is its highest
/// version added; many upserts of an id while paused are delivered as one.
/// </summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class EntityConsolidationTests
{
    private const string Type = "categories";
    private const string Target = "search";

    // Few ids, so changes collide; ids are hostile (case twins, CR/LF, NUL, non-ASCII, a lone surrogate, huge): compared ordinally.
    private static readonly string[] Ids = ["a", "A", "line\r\nbreak", "nul\0", "ü-é", "\ud800", new('x', 10_000)];

    private static readonly DateTimeOffset T0 = StoreTestData.T0;

    private static readonly Arbitrary<(int Id, int Version)[]> PausedEdits =
        (from n in Gen.Choose(1, 60)
         from edits in Gen.ArrayOf(from id in Gen.Choose(0, 2) from version in Gen.Choose(0, 1_000) select (id, version), n)
         select edits).ToArbitrary();

    private static readonly Gen<Position> Positions =
        from version in Gen.Choose(0, 4) from delete in Gen.Elements(false, true) select new Position(version, delete);

    private static readonly Gen<HeldRow> Rows =
        from position in Positions
        from repair in Gen.Elements(false, true)
        from owner in Gen.Elements<string?>(null, "host-a", "host-b")
        from until in Gen.Choose(-2, 2)
        from attempts in Gen.Choose(0, 2)
        from due in Gen.Choose(-2, 2)
        from sequence in Gen.Choose(1, 4)
        select new HeldRow(
            Change(position),
            repair,
            sequence,
            owner,
            owner is null ? null : T0.AddMinutes(until),
            attempts,
            attempts == 0 ? null : "busy",
            attempts == 0 ? null : T0.AddMinutes(due));

    private static readonly Arbitrary<(HeldRow Row, Position? Delivered, EntityChangeClaim Claim)> Claims =
        (from row in Rows
         from delivered in Gen.OneOf(Gen.Constant<Position?>(null), Positions.Select(p => (Position?)p))
         from owner in Gen.Elements("host-a", "host-b")
         from paused in Gen.Elements(false, true)
         from after in Gen.Choose(0, 4)
         select (row, delivered, new EntityChangeClaim(owner, 10, T0, T0.AddMinutes(1), paused, after))).ToArbitrary();

    private static readonly Arbitrary<(HeldRow? Held, Position Change, bool Repair, Position? Delivered)> Adds =
        (from held in Gen.OneOf(Gen.Constant<HeldRow?>(null), Rows.Select(r => (HeldRow?)r))
         from change in Positions
         from repair in Gen.Elements(false, true)
         from delivered in Gen.OneOf(Gen.Constant<Position?>(null), Positions.Select(p => (Position?)p))
         select (held, change, repair, delivered)).ToArbitrary();

    private static readonly Arbitrary<(HeldRow Row, Position Completed, RecordStatus Status, string Owner)> Completions =
        (from row in Rows
         from completed in Positions
         from status in Gen.Elements(RecordStatus.Delivered, RecordStatus.Skipped, RecordStatus.PermanentFailure, RecordStatus.TransientFailure)
         from owner in Gen.Elements("host-a", "host-b", "HOST-A")
         select (row, completed, status, owner)).ToArbitrary();

    [Property(MaxTest = 300)]
    public Property Any_sequence_keeps_the_invariants_and_drains_to_the_highest_version_per_id() =>
        Prop.ForAll(EntitySyncStoreContractTests.ClaimSteps(120, Ids.Length), steps =>
        {
            var store = new InMemoryJobStore();
            var run = new EntitySyncStoreContractTests.ClaimRun(store, Ids, async () =>
            {
                // Pending is the held rows, and the rows as the store keeps them are sound.
                var rows = store.GetHeldRows(Type, Target);
                Assert.Null(FindHeldViolation(rows));
                Assert.Equal(rows.Count, (await store.GetEntitySyncCountsAsync(Type, Target, default)).Pending);
            });
            foreach (var step in steps)
            {
                run.ApplyAsync(step).GetAwaiter().GetResult();
            }

            run.DrainAndCheckAsync().GetAwaiter().GetResult();
        });

    [Property(MaxTest = 200)]
    public Property Many_upserts_of_an_id_while_paused_are_delivered_as_one_after_resume() =>
        Prop.ForAll(PausedEdits, edits =>
        {
            var store = new InMemoryJobStore();
            foreach (var (id, version) in edits)
            {
                Add(store, EntityChange.Upsert(Type, Ids[id], null, version));
                Assert.Empty(Claim(store, "host-a", paused: true));
            }

            var expected = edits.GroupBy(e => Ids[e.Id]).ToDictionary(g => g.Key, g => (long)g.Max(e => e.Version), StringComparer.Ordinal);
            Assert.Equal(expected.Count, Counts(store).Pending);

            var claimed = Claim(store, "host-a");
            Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), claimed.Select(h => KeyValuePair.Create(h.Change.Id, h.Change.Version)).OrderBy(e => e.Key, StringComparer.Ordinal));
            Assert.Empty(Claim(store, "host-b"));
            Complete(store, "host-a", [.. claimed.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.Delivered))]);
            Assert.Equal((0L, expected.Count), (Counts(store).Pending, (int)Counts(store).Delivered));
            Assert.Null(FindHeldViolation(store.GetHeldRows(Type, Target)));
        });

    [Property(MaxTest = 500)]
    public Property Positions_order_by_version_then_a_delete_after_an_upsert_and_a_change_supersedes_only_what_it_comes_after() =>
        Prop.ForAll((from a in Positions from b in Positions select (a, b)).ToArbitrary(), pair =>
        {
            var (a, b) = pair;
            Assert.Equal((a.Version, a.Delete).CompareTo((b.Version, b.Delete)) > 0, a > b);
            Assert.Equal(a > b, Supersedes(a, b));
            Assert.Equal(1, new[] { a > b, b > a, a == b }.Count(x => x));
        });

    [Property(MaxTest = 1000)]
    public Property An_added_change_is_held_only_when_fresh_and_after_the_held_one_and_keeps_its_lease() =>
        Prop.ForAll(Adds, add =>
        {
            var (held, position, repair, delivered) = add;
            var row = EntityConsolidation.Add(held, Change(position), repair, delivered, sequence: 9);
            var fresh = delivered is not { } at || (repair ? position >= at : position > at);
            var after = held is not { } h || position > h.Position;
            Assert.Equal(fresh && after, row is not null);
            if (row is { } added)
            {
                Assert.Equal((position, repair, 9L, 0, (string?)null, (DateTimeOffset?)null), (added.Position, added.Repair, added.Sequence, added.Attempts, added.LastError, added.AvailableAt));
                Assert.Equal((held?.LeaseOwner, held?.LeaseUntil), (added.LeaseOwner, added.LeaseUntil));
            }
        });

    [Property(MaxTest = 1000)]
    public Property A_claim_takes_only_free_due_fresh_rows_drops_only_free_stale_ones_and_holds_upserts_while_paused() =>
        Prop.ForAll(Claims, c =>
        {
            var (row, delivered, claim) = c;
            var free = row.Sequence > claim.AfterSequence && !(row.LeaseUntil > claim.Now) && !(row.AvailableAt > claim.Now) && (!claim.HoldUpserts || row.Position.Delete);
            var stale = delivered is { } at && (row.Repair ? row.Position < at : row.Position <= at);
            var verdict = EntityConsolidation.Claim(row, delivered, claim);
            Assert.Equal(!free ? ClaimVerdict.Wait : stale ? ClaimVerdict.Drop : ClaimVerdict.Take, verdict);
            Assert.Equal(row with { LeaseOwner = claim.Owner, LeaseUntil = claim.LeaseUntil }, Lease(row, claim));
        });

    [Property(MaxTest = 1000)]
    public Property A_completion_settles_only_the_owners_row_and_removes_it_only_up_to_the_completed_change() =>
        Prop.ForAll(Completions, c =>
        {
            var (row, completed, status, owner) = c;
            var completion = new EntityChangeCompletion(Change(completed), status, "error");
            var settled = EntityConsolidation.Complete(row, owner, completion, T0.AddMinutes(5));
            if (row.LeaseOwner != owner)
            {
                Assert.Equal(row, settled);
                return;
            }

            var removed = status is RecordStatus.Delivered or RecordStatus.PermanentFailure && row.Position <= completed;
            Assert.Equal(removed, settled is null);
            if (settled is { } left)
            {
                var retried = status == RecordStatus.Skipped && row.Position == completed;
                var expected = row with { LeaseOwner = null, LeaseUntil = null };
                Assert.Equal(retried ? expected with { Attempts = row.Attempts + 1, LastError = "error", AvailableAt = T0.AddMinutes(5) } : expected, left);
            }
        });

    [Fact]
    public void A_delete_replaces_a_held_older_or_equal_upsert_and_is_taken_while_paused()
    {
        var store = new InMemoryJobStore();
        Add(store, EntityChange.Upsert(Type, "a", null, 1), EntityChange.Upsert(Type, "b", null, 2), EntityChange.Upsert(Type, "c", null, 3));
        Add(store, EntityChange.Delete(Type, "a", 2), EntityChange.Delete(Type, "b", 2), EntityChange.Delete(Type, "c", 2));

        Assert.Equal(3, Counts(store).Pending);
        Assert.Equal([("a", 2L), ("b", 2L)], Claim(store, "host-a", paused: true).Select(h => (h.Change.Id, h.Change.Version)));
        var upsert = Assert.Single(Claim(store, "host-b"));
        Assert.Equal(("c", EntityChangeKind.Upsert, 3L), (upsert.Change.Id, upsert.Change.Kind, upsert.Change.Version));
    }

    [Fact]
    public void While_paused_a_newer_upsert_replaces_a_held_delete_and_goes_out_after_resume()
    {
        var store = new InMemoryJobStore();
        Add(store, EntityChange.Delete(Type, "a", 1));
        Add(store, EntityChange.Upsert(Type, "a", null, 2));

        Assert.Empty(Claim(store, "host-a", paused: true));
        var claimed = Assert.Single(Claim(store, "host-a"));
        Assert.Equal((EntityChangeKind.Upsert, 2L), (claimed.Change.Kind, claimed.Change.Version));
        Assert.Equal(1, Counts(store).Pending);
    }

    [Fact]
    public void Older_or_equal_versions_are_ignored_and_ids_are_compared_ordinally()
    {
        var held = EntityConsolidation.Add(null, EntityChange.Upsert(Type, "a", null, 5), repair: false, delivered: null, sequence: 1);
        Assert.NotNull(held);

        Assert.Null(EntityConsolidation.Add(held, EntityChange.Upsert(Type, "a", null, 5), repair: false, delivered: null, sequence: 2));
        Assert.Null(EntityConsolidation.Add(held, EntityChange.Upsert(Type, "a", null, 4), repair: true, delivered: null, sequence: 2));
        var store = new InMemoryJobStore();
        Add(store, EntityChange.Upsert(Type, "a", null, 5), EntityChange.Upsert(Type, "a", null, 4), EntityChange.Upsert(Type, "A", null, 4));
        Assert.Equal(2, Counts(store).Pending);
    }

    [Fact]
    public void At_one_version_a_delete_comes_after_an_upsert()
    {
        Assert.True(Supersedes(Position.Of(EntityChange.Delete(Type, "a", 5)), Position.Of(EntityChange.Upsert(Type, "a", null, 5))));
        Assert.False(Supersedes(Position.Of(EntityChange.Upsert(Type, "a", null, 5)), Position.Of(EntityChange.Delete(Type, "a", 5))));

        // Delivered: a delete of the version of a delivered upsert still goes out; an upsert of a delivered delete's version does not.
        var upsert = new Position(7, Delete: false);
        var delete = new Position(7, Delete: true);
        Assert.False(IsStale(delete, repair: false, upsert));
        Assert.True(IsStale(upsert, repair: false, delete));
        Assert.True(IsStale(upsert, repair: true, delete));
    }

    [Fact]
    public void The_delivered_version_is_resent_only_as_a_repair()
    {
        var delivered = new Position(5, Delete: false);

        Assert.True(IsStale(new Position(5, false), repair: false, delivered));
        Assert.True(IsStale(new Position(4, false), repair: true, delivered));
        Assert.False(IsStale(new Position(5, false), repair: true, delivered));
        Assert.False(IsStale(new Position(6, false), repair: false, delivered));
        Assert.False(IsStale(new Position(long.MinValue, false), repair: false, delivered: null));
    }

    [Fact]
    public void A_skipped_change_waits_for_its_due_time_and_a_released_one_is_claimable_at_once()
    {
        var store = new InMemoryJobStore();
        Add(store, EntityChange.Upsert(Type, "a", null, 1), EntityChange.Upsert(Type, "b", null, 1));
        var claimed = Claim(store, "host-a");
        Complete(store, "host-a", [new(claimed[0].Change, RecordStatus.Skipped, "busy"), new(claimed[1].Change, RecordStatus.TransientFailure)]);

        Assert.Equal(["b"], Claim(store, "host-b").Select(h => h.Change.Id));
        Assert.Equal([("a", 1, "busy"), ("b", 0, null)], Claim(store, "host-b", now: T0.AddMinutes(5)).Select(h => (h.Change.Id, h.Attempts, h.LastError)));
    }

    [Fact]
    public void A_change_settled_after_a_newer_one_arrived_leaves_the_newer_one_held()
    {
        var store = new InMemoryJobStore();
        Add(store, EntityChange.Upsert(Type, "a", null, 1));
        var old = Assert.Single(Claim(store, "host-a"));
        Add(store, EntityChange.Upsert(Type, "a", null, 2));
        Assert.Empty(Claim(store, "host-b"));

        Complete(store, "host-a", [new(old.Change, RecordStatus.Delivered)]);
        var next = Assert.Single(Claim(store, "host-b"));
        Assert.Equal(2L, next.Change.Version);
        Assert.Null(FindHeldViolation(store.GetHeldRows(Type, Target)));
    }

    [Fact]
    public void The_held_rows_checker_finds_a_row_held_twice_and_half_a_lease()
    {
        var row = new HeldRow(EntityChange.Upsert(Type, "a", null, 1), Repair: false, Sequence: 1);

        Assert.Null(FindHeldViolation([row, row with { Change = EntityChange.Upsert(Type, "A", null, 1), Sequence = 2 }]));
        Assert.NotNull(FindHeldViolation([row, row with { Sequence = 2 }]));
        Assert.NotNull(FindHeldViolation([row, row with { Change = EntityChange.Upsert(Type, "b", null, 1) }]));
        Assert.NotNull(FindHeldViolation([row with { LeaseOwner = "host-a" }]));
        Assert.NotNull(FindHeldViolation([row with { LastError = "busy" }]));
    }

    private static EntityChange Change(Position position) =>
        position.Delete ? EntityChange.Delete(Type, "a", position.Version) : EntityChange.Upsert(Type, "a", null, position.Version);

    private static void Add(InMemoryJobStore store, params EntityChange[] changes) =>
        store.AddEntityChangesAsync([Target], changes, repair: false, default).AsTask().GetAwaiter().GetResult();

    private static IReadOnlyList<HeldEntityChange> Claim(InMemoryJobStore store, string owner, bool paused = false, DateTimeOffset? now = null) =>
        store.ClaimEntityChangesAsync(Type, Target, new EntityChangeClaim(owner, 100, now ?? T0, (now ?? T0).AddMinutes(1), paused), default).AsTask().GetAwaiter().GetResult();

    private static void Complete(InMemoryJobStore store, string owner, IReadOnlyList<EntityChangeCompletion> completions) =>
        store.CompleteEntityChangesAsync(Type, Target, owner, completions, T0, T0.AddMinutes(5), default).AsTask().GetAwaiter().GetResult();

    private static EntitySyncCounts Counts(InMemoryJobStore store) =>
        store.GetEntitySyncCountsAsync(Type, Target, default).AsTask().GetAwaiter().GetResult();
}
