using Commerce.Jobs.EntitySync;
using Commerce.Jobs.Tests.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Acceptance = Commerce.Jobs.EntitySync.EntityConsolidation.Acceptance;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>
/// The consolidation rules on their own, without clock, tasks or store: for any sequence of offers (upserts and
/// deletes, published or read from the source), takes, deliveries, permanent and transient failures, cancellations,
/// pauses and resumes, the versions handed out for an id never go below the delivered one, at most one change per id is
/// in flight, <see cref="EntityConsolidation.Pending"/> is what waits plus what is in flight, a paused type hands out
/// deletes and no upsert, and once drained each id's last delivered change is its highest version offered.
/// </summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class EntityConsolidationTests
{
    private const string Type = "categories";

    // Few ids, so changes collide; ids are hostile (case twins, CR/LF, NUL, non-ASCII, a lone surrogate, huge): compared ordinally.
    private static readonly string[] Ids = ["a", "A", "line\r\nbreak", "nul\0", "ü-é", "\ud800", new('x', 10_000)];

    private static readonly Gen<Op> OpGen = Gen.Frequency(
        (6, Offer(Step.Upsert)),
        (3, Offer(Step.Delete)),
        (1, Offer(Step.SourceUpsert)),
        (1, Offer(Step.SourceDelete)),
        (4, Gen.Elements(1, 2, 3, 100).Select(max => new Op(Step.Take, 0, 0, max))),
        (4, Settle(Step.Deliver)),
        (1, Settle(Step.Fail)),
        (1, Settle(Step.Skip)),
        (1, Settle(Step.Cancel)),
        (1, Gen.Constant(new Op(Step.Pass, 0, 0, 0))),
        (1, Gen.Constant(new Op(Step.Pause, 0, 0, 0))),
        (1, Gen.Constant(new Op(Step.Resume, 0, 0, 0))));

    private static readonly Arbitrary<Op[]> Sequences =
        (from n in Gen.Choose(0, 120) from ops in Gen.ArrayOf(OpGen, n) select ops).ToArbitrary();

    private static readonly Arbitrary<(int Id, int Version)[]> PausedEdits =
        (from n in Gen.Choose(1, 60)
         from edits in Gen.ArrayOf(from id in Gen.Choose(0, 2) from version in Gen.Choose(0, 1_000) select (id, version), n)
         select edits).ToArbitrary();

    public enum Step
    {
        Upsert,
        Delete,
        SourceUpsert,
        SourceDelete,
        Take,
        Deliver,
        Fail,
        Skip,
        Cancel,
        Pass,
        Pause,
        Resume,
    }

    [Property(MaxTest = 300)]
    public Property Any_sequence_keeps_the_invariants_and_drains_to_the_highest_version_per_id() =>
        Prop.ForAll(Sequences, ops =>
        {
            var run = new Run();
            foreach (var op in ops)
            {
                run.Apply(op);
            }

            run.DrainAndCheck();
        });

    [Property(MaxTest = 200)]
    public Property Many_upserts_of_an_id_while_paused_are_delivered_as_one_after_resume() =>
        Prop.ForAll(PausedEdits, edits =>
        {
            var sut = new EntityConsolidation { Paused = true };
            List<EntityChange>? forget = null;
            foreach (var (id, version) in edits)
            {
                sut.Offer(EntityChange.Upsert(Type, Ids[id], null, version), fromSource: false, ref forget);
                Assert.Equal(0, sut.Take(new EntityChange[100], ref forget));
            }

            sut.Paused = false;
            var batch = new EntityChange[100];
            var count = sut.Take(batch, ref forget);

            var expected = edits.GroupBy(e => Ids[e.Id]).ToDictionary(g => g.Key, g => (long)g.Max(e => e.Version), StringComparer.Ordinal);
            Assert.Equal(expected.Count, count);
            Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), batch.Take(count).Select(c => KeyValuePair.Create(c.Id, c.Version)).OrderBy(e => e.Key, StringComparer.Ordinal));
            Assert.Equal(0, sut.Take(batch, ref forget));
            Assert.Equal(count, sut.Pending);
            Assert.Null(sut.FindViolation());
        });

    [Fact]
    public void Delete_drops_a_held_older_upsert_and_is_taken_while_paused()
    {
        var sut = new EntityConsolidation { Paused = true };
        List<EntityChange>? forget = null;
        var upsert = EntityChange.Upsert(Type, "a", null, 1);
        Assert.Equal(Acceptance.Accepted, sut.Offer(upsert, fromSource: false, ref forget));
        var delete = EntityChange.Delete(Type, "a", 2);
        Assert.Equal(Acceptance.Accepted, sut.Offer(delete, fromSource: false, ref forget));

        // A published upsert was dropped by the store with the delete: nothing to forget here.
        Assert.Null(forget);
        Assert.Equal(1, sut.Pending);
        var batch = new EntityChange[10];
        Assert.Equal(1, sut.Take(batch, ref forget));
        Assert.Same(delete, batch[0]);
    }

    [Fact]
    public void A_delete_read_from_the_source_drops_a_held_upsert_that_the_store_then_forgets()
    {
        var sut = new EntityConsolidation();
        List<EntityChange>? forget = null;
        var upsert = EntityChange.Upsert(Type, "a", null, 1);
        sut.Offer(upsert, fromSource: false, ref forget);
        Assert.Equal(Acceptance.Accepted, sut.Offer(EntityChange.Delete(Type, "a", 2), fromSource: true, ref forget));
        Assert.Equal(new[] { upsert }, forget);
        Assert.Equal(1, sut.Pending);
    }

    [Fact]
    public void While_paused_an_upsert_waits_beside_its_older_delete_which_goes_out_and_then_the_upsert_after_resume()
    {
        var sut = new EntityConsolidation { Paused = true };
        List<EntityChange>? forget = null;
        var delete = EntityChange.Delete(Type, "a", 1);
        var upsert = EntityChange.Upsert(Type, "a", null, 2);
        sut.Offer(delete, fromSource: false, ref forget);
        sut.Offer(upsert, fromSource: false, ref forget);
        Assert.Equal(2, sut.Pending);

        var batch = new EntityChange[10];
        Assert.Equal(1, sut.Take(batch, ref forget));
        Assert.Same(delete, batch[0]);
        sut.Delivered(delete);
        sut.Paused = false;
        Assert.Equal(1, sut.Take(batch, ref forget));
        Assert.Same(upsert, batch[0]);
        Assert.Null(forget);
    }

    [Fact]
    public void On_resume_a_delete_held_beside_a_newer_upsert_is_superseded()
    {
        var sut = new EntityConsolidation { Paused = true };
        List<EntityChange>? forget = null;
        var delete = EntityChange.Delete(Type, "a", 1);
        sut.Offer(delete, fromSource: false, ref forget);
        sut.Offer(EntityChange.Upsert(Type, "a", null, 2), fromSource: false, ref forget);
        sut.Paused = false;

        var batch = new EntityChange[10];
        Assert.Equal(1, sut.Take(batch, ref forget));
        Assert.Equal((EntityChangeKind.Upsert, 2L), (batch[0].Kind, batch[0].Version));
        Assert.Equal(new[] { delete }, forget);
        Assert.Equal(1, sut.Pending);
    }

    [Fact]
    public void Older_or_equal_versions_are_stale_and_the_same_change_is_a_duplicate()
    {
        var sut = new EntityConsolidation();
        List<EntityChange>? forget = null;
        sut.Offer(EntityChange.Upsert(Type, "a", null, 5), fromSource: false, ref forget);

        Assert.Equal(Acceptance.Duplicate, sut.Offer(EntityChange.Upsert(Type, "a", null, 5), fromSource: false, ref forget));
        Assert.Equal(Acceptance.Stale, sut.Offer(EntityChange.Upsert(Type, "a", null, 4), fromSource: false, ref forget));
        Assert.Equal(Acceptance.Accepted, sut.Offer(EntityChange.Upsert(Type, "A", null, 4), fromSource: false, ref forget));
        Assert.Equal(2, sut.Pending);
    }

    [Fact]
    public void At_one_version_a_delete_comes_after_an_upsert_as_in_the_store()
    {
        var sut = new EntityConsolidation();
        List<EntityChange>? forget = null;
        var batch = new EntityChange[10];
        sut.Offer(EntityChange.Upsert(Type, "a", null, 5), fromSource: false, ref forget);

        // The delete replaces the waiting upsert of its version; an upsert of that version after it is stale.
        Assert.Equal(Acceptance.Accepted, sut.Offer(EntityChange.Delete(Type, "a", 5), fromSource: false, ref forget));
        Assert.Equal(Acceptance.Stale, sut.Offer(EntityChange.Upsert(Type, "a", null, 5), fromSource: false, ref forget));
        Assert.Equal(1, sut.Pending);
        Assert.Equal(1, sut.Take(batch, ref forget));
        Assert.Equal(EntityChangeKind.Delete, batch[0].Kind);

        // Delivered: a delete of the version of a delivered upsert still goes out.
        sut.Offer(EntityChange.Upsert(Type, "b", null, 7), fromSource: false, ref forget);
        Assert.Equal(1, sut.Take(batch, ref forget));
        sut.Delivered(batch[0]);
        Assert.Equal(Acceptance.Accepted, sut.Offer(EntityChange.Delete(Type, "b", 7), fromSource: false, ref forget));
        Assert.Null(sut.FindViolation());
    }

    [Fact]
    public void The_delivered_version_is_resent_only_as_a_repair_from_the_source()
    {
        var sut = new EntityConsolidation();
        List<EntityChange>? forget = null;
        var batch = new EntityChange[10];
        sut.Offer(EntityChange.Upsert(Type, "a", null, 5), fromSource: false, ref forget);
        sut.Take(batch, ref forget);
        sut.Delivered(batch[0]);

        Assert.Equal(Acceptance.Stale, sut.Offer(EntityChange.Upsert(Type, "a", null, 5), fromSource: false, ref forget));
        Assert.Equal(Acceptance.Stale, sut.Offer(EntityChange.Upsert(Type, "a", null, 4), fromSource: true, ref forget));
        Assert.Equal(Acceptance.Accepted, sut.Offer(EntityChange.Upsert(Type, "a", null, 5), fromSource: true, ref forget));
    }

    [Fact]
    public void A_restored_delivered_version_drops_held_changes_not_newer()
    {
        var sut = new EntityConsolidation();
        List<EntityChange>? forget = null;
        var old = EntityChange.Upsert(Type, "a", null, 3);
        sut.Offer(old, fromSource: false, ref forget);
        sut.RestoreDelivered("a", 3, ref forget);

        Assert.Equal(new[] { old }, forget);
        Assert.Equal(0, sut.Pending);
        Assert.Equal(Acceptance.Stale, sut.Offer(EntityChange.Upsert(Type, "a", null, 2), fromSource: false, ref forget));
    }

    [Fact]
    public void A_skipped_change_waits_for_the_next_pass_and_a_cancelled_one_is_queued_again_at_once()
    {
        var sut = new EntityConsolidation();
        List<EntityChange>? forget = null;
        var batch = new EntityChange[10];
        sut.Offer(EntityChange.Upsert(Type, "a", null, 1), fromSource: false, ref forget);
        sut.Offer(EntityChange.Upsert(Type, "b", null, 1), fromSource: false, ref forget);
        Assert.Equal(2, sut.Take(batch, ref forget));
        sut.Release(batch[0], requeue: false, ref forget);
        sut.Release(batch[1], requeue: true, ref forget);

        Assert.True(sut.HasDeferred);
        Assert.Equal(1, sut.Take(batch, ref forget));
        Assert.Equal("b", batch[0].Id);
        sut.Delivered(batch[0]);
        sut.RequeueDeferred();
        Assert.Equal(1, sut.Take(batch, ref forget));
        Assert.Equal("a", batch[0].Id);
        Assert.Equal(1, sut.Pending);
        Assert.Null(forget);
    }

    [Fact]
    public void A_change_released_after_a_newer_one_arrived_is_superseded_and_forgotten()
    {
        var sut = new EntityConsolidation();
        List<EntityChange>? forget = null;
        var batch = new EntityChange[10];
        sut.Offer(EntityChange.Upsert(Type, "a", null, 1), fromSource: false, ref forget);
        sut.Take(batch, ref forget);
        var old = batch[0];
        sut.Offer(EntityChange.Upsert(Type, "a", null, 2), fromSource: false, ref forget);
        sut.Release(old, requeue: true, ref forget);

        Assert.Equal(new[] { old }, forget);
        Assert.Equal(1, sut.Pending);
        Assert.Null(sut.FindViolation());
    }

    private static Gen<Op> Offer(Step step) =>
        from id in Gen.Choose(0, Ids.Length - 1) from version in Gen.Choose(0, 20) select new Op(step, id, version, 0);

    private static Gen<Op> Settle(Step step) => Gen.Choose(0, 1_000).Select(i => new Op(step, i, 0, 0));

    public sealed record Op(Step Step, int Id, int Version, int Max)
    {
        public override string ToString() => $"{Step}({Id}, v{Version}, max {Max})";
    }

    /// <summary>The consolidation under test, and what a target would have seen, checked after every step.</summary>
    private sealed class Run
    {
        private readonly EntityConsolidation _sut = new();
        private readonly List<EntityChange> _inFlight = [];
        private readonly HashSet<EntityChange> _fromSource = new(ReferenceEqualityComparer.Instance);
        private readonly HashSet<EntityChange> _failed = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<string, EntityChange> _lastDelivered = new(StringComparer.Ordinal);
        private readonly List<(EntityChange Change, Acceptance Acceptance)> _offers = [];
        private readonly Dictionary<string, EntityChange> _deletesWhilePaused = new(StringComparer.Ordinal);

        public void Apply(Op op)
        {
            List<EntityChange>? forget = null;
            switch (op.Step)
            {
                case Step.Upsert or Step.Delete or Step.SourceUpsert or Step.SourceDelete:
                    var fromSource = op.Step is Step.SourceUpsert or Step.SourceDelete;
                    var change = op.Step is Step.Upsert or Step.SourceUpsert
                        ? EntityChange.Upsert(Type, Ids[op.Id], null, op.Version)
                        : EntityChange.Delete(Type, Ids[op.Id], op.Version);
                    var acceptance = _sut.Offer(change, fromSource, ref forget);
                    _offers.Add((change, acceptance));
                    if (fromSource)
                    {
                        _fromSource.Add(change);
                    }

                    if (acceptance == Acceptance.Accepted && change.Kind == EntityChangeKind.Delete && _sut.Paused)
                    {
                        _deletesWhilePaused[change.Id] = change;
                    }

                    break;
                case Step.Take:
                    Take(op.Max, ref forget);
                    break;
                case Step.Deliver or Step.Fail or Step.Skip or Step.Cancel when _inFlight.Count > 0:
                    var settled = _inFlight[op.Id % _inFlight.Count];
                    _inFlight.Remove(settled);
                    Settle(op.Step, settled, ref forget);
                    break;
                case Step.Pass:
                    _sut.RequeueDeferred();
                    break;
                case Step.Pause:
                    _sut.Paused = true;
                    break;
                case Step.Resume:
                    _sut.Paused = false;
                    _deletesWhilePaused.Clear();
                    break;
            }

            Assert.Null(_sut.FindViolation());

            // (5) Pending is what waits plus what is in flight.
            Assert.Equal(_sut.Waiting().Count() + _inFlight.Count, _sut.Pending);
        }

        public void DrainAndCheck()
        {
            List<EntityChange>? forget = null;
            _sut.Paused = false;
            while (_inFlight.Count > 0)
            {
                var change = _inFlight[0];
                _inFlight.RemoveAt(0);
                Settle(Step.Deliver, change, ref forget);
            }

            do
            {
                _sut.RequeueDeferred();
                while (Take(100, ref forget) > 0)
                {
                    foreach (var change in _inFlight.ToList())
                    {
                        _inFlight.Remove(change);
                        Settle(Step.Deliver, change, ref forget);
                    }
                }
            }
            while (_sut.HasDeferred);

            Assert.Equal(0, _sut.Pending);
            Assert.Empty(_sut.Waiting());
            Assert.Null(_sut.FindViolation());

            // (3) Each id's last delivered change is its highest version offered: the one accepted last at that version
            // (a repair may resend it in another kind), unless the target rejected a change of that version for good.
            foreach (var offers in _offers.GroupBy(o => o.Change.Id, StringComparer.Ordinal))
            {
                var highest = offers.Max(o => o.Change.Version);
                if (offers.Any(o => o.Change.Version == highest && _failed.Contains(o.Change)))
                {
                    continue;
                }

                var expected = offers.Last(o => o.Change.Version == highest && o.Acceptance == Acceptance.Accepted).Change;
                Assert.Same(expected, _lastDelivered[offers.Key]);
            }
        }

        private int Take(int max, ref List<EntityChange>? forget)
        {
            var busy = _inFlight.Select(c => c.Id).ToHashSet(StringComparer.Ordinal);
            var batch = new EntityChange[max];
            var count = _sut.Take(batch, ref forget);
            foreach (var change in batch.AsSpan(0, count))
            {
                // (2) At most one change per id in flight.
                Assert.DoesNotContain(_inFlight, c => c.Id == change.Id);

                // (1) Never below the delivered change; equal only for a repair read from the source.
                if (_lastDelivered.TryGetValue(change.Id, out var delivered))
                {
                    // In the store's order: by version, and at one version a delete after an upsert.
                    var (position, deliveredAt) = (EntityConsolidation.Position.Of(change), EntityConsolidation.Position.Of(delivered));
                    Assert.True(_fromSource.Contains(change) ? position >= deliveredAt : position > deliveredAt, $"{change} handed out after {delivered} was delivered.");
                }

                // (4) While paused, no upsert.
                Assert.False(_sut.Paused && change.Kind == EntityChangeKind.Upsert, $"{change} handed out while paused.");
                _inFlight.Add(change);
            }

            // (4) While paused, each delete accepted since the last take goes out (when its id has nothing in flight and the batch had room).
            if (_sut.Paused && count < max)
            {
                foreach (var delete in _deletesWhilePaused.Values.Where(d => !busy.Contains(d.Id)))
                {
                    Assert.Contains(batch.Take(count), c => ReferenceEquals(c, delete));
                }
            }

            _deletesWhilePaused.Clear();
            return count;
        }

        private void Settle(Step step, EntityChange change, ref List<EntityChange>? forget)
        {
            switch (step)
            {
                case Step.Deliver:
                    if (_lastDelivered.TryGetValue(change.Id, out var before))
                    {
                        // (1) The target never sees a version lower than one it already saw (at one version, a delete may follow an upsert).
                        var (position, seen) = (EntityConsolidation.Position.Of(change), EntityConsolidation.Position.Of(before));
                        Assert.True(_fromSource.Contains(change) ? position >= seen : position > seen, $"{change} delivered after {before}.");
                    }

                    _sut.Delivered(change);
                    _lastDelivered[change.Id] = change;
                    break;
                case Step.Fail:
                    _sut.Failed(change, ref forget);
                    _failed.Add(change);
                    break;
                default:
                    _sut.Release(change, requeue: step == Step.Cancel, ref forget);
                    break;
            }
        }
    }
}
