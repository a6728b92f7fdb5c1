using Commerce.Jobs.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The claim contract as one property: random sequences of adds (incremental and repair), claims by two owners (paused
/// or not), completions with any outcome (by the claimer or not), renewals and time passing leases and due times, run
/// against the store and a plain reference model of the design, step by step; then a final drain.
/// </summary>
public abstract partial class EntitySyncStoreContractTests
{
    /// <summary>Few ids, so changes collide; hostile ones among them (case twins, CR/LF, NUL, a lone surrogate, huge), compared ordinally.</summary>
    public static readonly IReadOnlyList<string> ClaimIds = ["a", "A", "line\r\nbreak", "nul\0", "\ud800", HugeIds[0]];

    // Bounded for the SQL stores: 30 cases of at most 60 steps.
    [Property(MaxTest = 30, Replay = "(20261207,20261207)")]
    public Property Claims_match_the_reference_model_for_any_sequence() =>
        Prop.ForAll(ClaimSteps(60, ClaimIds.Count), steps => Task.Run(async () =>
        {
            var run = new ClaimRun(await CreateStoreAsync(), ClaimIds);
            foreach (var step in steps)
            {
                await run.ApplyAsync(step);
            }

            await run.DrainAndCheckAsync();
        }).GetAwaiter().GetResult());

    /// <summary>Random steps for <see cref="ClaimRun"/>: at most <paramref name="maxSteps"/>, over <paramref name="ids"/> ids.</summary>
    public static Arbitrary<ClaimStep[]> ClaimSteps(int maxSteps, int ids)
    {
        var add =
            from repair in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
            from id in Gen.Choose(0, ids - 1)
            from version in Gen.Choose(1, 8)
            from delete in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
            select new ClaimStep(repair ? ClaimStepKind.Repair : ClaimStepKind.Add, id, version, delete);
        var claim =
            from owner in Gen.Choose(0, 1)
            from max in Gen.Elements(1, 2, 3, 100)
            from paused in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
            select new ClaimStep(ClaimStepKind.Claim, owner, max, paused);
        var complete =
            from pick in Gen.Choose(0, 1_000)
            from byOther in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
            from outcome in Gen.Frequency((5, Gen.Constant(0)), (2, Gen.Constant(1)), (1, Gen.Constant(2)), (2, Gen.Constant(3)))
            select new ClaimStep(ClaimStepKind.Complete, pick, outcome, byOther);
        var step = Gen.Frequency(
            (6, add),
            (4, claim),
            (5, complete),
            (1, Gen.Choose(0, 1).Select(owner => new ClaimStep(ClaimStepKind.Renew, owner, 0, false))),
            (2, Gen.Elements(10, 30, 61).Select(seconds => new ClaimStep(ClaimStepKind.Wait, 0, seconds, false))));
        return (from n in Gen.Choose(0, maxSteps) from steps in Gen.ArrayOf(step, n) select steps).ToArbitrary();
    }

    /// <summary>What a <see cref="ClaimStep"/> does.</summary>
    public enum ClaimStepKind
    {
        /// <summary>Adds an incremental change (<see cref="ClaimStep.A"/> id, <see cref="ClaimStep.B"/> version, <see cref="ClaimStep.Flag"/> delete).</summary>
        Add,

        /// <summary>Adds a repair, as <see cref="Add"/>.</summary>
        Repair,

        /// <summary>Claims (<see cref="ClaimStep.A"/> owner, <see cref="ClaimStep.B"/> at most, <see cref="ClaimStep.Flag"/> paused).</summary>
        Claim,

        /// <summary>Completes a handed-out change (<see cref="ClaimStep.A"/> which, <see cref="ClaimStep.B"/> outcome, <see cref="ClaimStep.Flag"/> by the other owner).</summary>
        Complete,

        /// <summary>Renews an owner's leases (<see cref="ClaimStep.A"/> owner).</summary>
        Renew,

        /// <summary>Lets <see cref="ClaimStep.B"/> seconds pass.</summary>
        Wait,
    }

    /// <summary>One step of a <see cref="ClaimRun"/>.</summary>
    public sealed record ClaimStep(ClaimStepKind Kind, int A, int B, bool Flag)
    {
        public override string ToString() => $"{Kind}({A}, {B}, {Flag})";
    }

    /// <summary>
    /// A store and the reference model of the design side by side (one type, one target), compared after every step:
    /// claims hand out exactly what the model does, never an incremental change at or below the delivered one nor a
    /// repair below it, never an id under another unexpired lease; pending is the held rows; counts and renewals match.
    /// </summary>
    public sealed class ClaimRun(IEntitySyncStore store, IReadOnlyList<string> ids, Func<Task>? check = null)
    {
        private const string Target = "search";
        private static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);
        private static readonly TimeSpan RetrySkipped = TimeSpan.FromSeconds(30);
        private static readonly string[] Owners = ["host-a", "host-b"];
        private static readonly RecordStatus[] Outcomes = [RecordStatus.Delivered, RecordStatus.Skipped, RecordStatus.PermanentFailure, RecordStatus.TransientFailure];

        private readonly Dictionary<string, Row> _held = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (long Version, bool Delete)> _delivered = new(StringComparer.Ordinal);
        private readonly Dictionary<string, (long Version, bool Delete)> _highest = new(StringComparer.Ordinal);
        private readonly HashSet<(string Id, (long, bool) Position)> _failed = [];
        private readonly List<(EntityChange Change, int Owner)> _handedOut = [];
        private EntitySyncCounts _counts = new(0, 0, 0, 0, null, null, null, null);
        private DateTimeOffset _now = T0;
        private long _sequence;

        public async Task ApplyAsync(ClaimStep step)
        {
            switch (step.Kind)
            {
                case ClaimStepKind.Add or ClaimStepKind.Repair:
                    var id = ids[step.A];
                    var change = step.Flag ? EntityChange.Delete(Categories, id, step.B) : EntityChange.Upsert(Categories, id, $"{step.B}", step.B);
                    await AddAsync(change, step.Kind == ClaimStepKind.Repair);
                    break;
                case ClaimStepKind.Claim:
                    await ClaimAsync(step.A, step.B, step.Flag);
                    break;
                case ClaimStepKind.Complete when _handedOut.Count > 0:
                    var (handed, owner) = _handedOut[step.A % _handedOut.Count];
                    var by = step.Flag ? 1 - owner : owner;
                    await CompleteAsync(by, [new EntityChangeCompletion(handed, Outcomes[step.B], step.B == 0 ? null : $"error\0\r\n{step.A}")]);
                    _handedOut.RemoveAll(h => ReferenceEquals(h.Change, handed) && h.Owner == by);
                    break;
                case ClaimStepKind.Renew:
                    var until = _now + Lease;
                    var renewed = _held.Values.Where(r => r.Owner == Owners[step.A]).ToList();
                    renewed.ForEach(r => r.Until = until);
                    Assert.Equal(renewed.Count, await store.RenewEntityLeasesAsync(Categories, Target, Owners[step.A], until, None));
                    break;
                case ClaimStepKind.Wait:
                    _now = _now.AddSeconds(step.B);
                    break;
            }

            Assert.Equal(_counts with { Pending = _held.Count }, await store.GetEntitySyncCountsAsync(Categories, Target, None));
            if (check is not null)
            {
                await check();
            }
        }

        /// <summary>Lets every lease and due time pass, claims and delivers until nothing is left, and checks the end state.</summary>
        public async Task DrainAndCheckAsync()
        {
            _now = _now.AddDays(1);
            while (await ClaimAsync(0, 100, paused: false) is { Count: > 0 } claimed)
            {
                await CompleteAsync(0, [.. claimed.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.Delivered))]);
            }

            Assert.Equal(0, (await store.GetEntitySyncCountsAsync(Categories, Target, None)).Pending);
            Assert.Empty(_held);
            var delivered = await store.GetDeliveredEntityVersionsAsync(Categories, Target, None);
            Assert.Equal(_delivered.Select(d => KeyValuePair.Create(d.Key, d.Value.Version)).OrderBy(d => d.Key, StringComparer.Ordinal), delivered.OrderBy(d => d.Key, StringComparer.Ordinal));

            // Drained, each id's delivered change is the highest added, unless that one failed for good.
            foreach (var (id, highest) in _highest)
            {
                if (!_failed.Contains((id, highest)))
                {
                    Assert.True(_delivered.TryGetValue(id, out var at) && at == highest, $"{Show(id)}: delivered {at}, highest added {highest}.");
                }
            }
        }

        private static string Show(string id) => id.Length > 20 ? $"{id[..20]}…" : id.ReplaceLineEndings("⏎");

        private static (long Version, bool Delete) Position(EntityChange change) => (change.Version, change.Kind == EntityChangeKind.Delete);

        private async Task AddAsync(EntityChange change, bool repair)
        {
            var added = await store.AddEntityChangesAsync([Target], [change], repair, None);
            var position = Position(change);
            _highest[change.Id] = _highest.TryGetValue(change.Id, out var highest) && highest.CompareTo(position) > 0 ? highest : position;
            var held = _held.GetValueOrDefault(change.Id);
            if (IsStale(change.Id, position, repair) || (held is not null && position.CompareTo(held.Position) <= 0))
            {
                Assert.Equal(0, added);
                return;
            }

            Assert.Equal(1, added);

            _held[change.Id] = new Row(change, repair, ++_sequence) { Owner = held?.Owner, Until = held?.Until };
        }

        private bool IsStale(string id, (long, bool) position, bool repair) =>
            _delivered.TryGetValue(id, out var delivered) && (repair ? position.CompareTo(delivered) < 0 : position.CompareTo(delivered) <= 0);

        private async Task<IReadOnlyList<HeldEntityChange>> ClaimAsync(int owner, int max, bool paused)
        {
            var claim = new EntityChangeClaim(Owners[owner], max, _now, _now + Lease, paused);
            var actual = await store.ClaimEntityChangesAsync(Categories, Target, claim, None);

            var expected = new List<Row>();
            foreach (var row in _held.Values.OrderBy(r => r.Sequence).ToList())
            {
                if (expected.Count == max)
                {
                    break;
                }

                if (row.Until > _now || row.Due > _now || (paused && !row.Position.Delete))
                {
                    continue;
                }

                if (IsStale(row.Change.Id, row.Position, row.Repair))
                {
                    _held.Remove(row.Change.Id);
                    continue;
                }

                expected.Add(row);
            }

            Assert.Equal(
                expected.Select(r => (r.Change.Id, r.Change.Kind, r.Change.Version, r.Repair, r.Attempts, r.Error)),
                actual.Select(h => (h.Change.Id, h.Change.Kind, h.Change.Version, h.Repair, h.Attempts, h.LastError)));
            Assert.Equal(actual.Select(h => h.Sequence).Order(), actual.Select(h => h.Sequence));
            foreach (var (row, held) in expected.Zip(actual))
            {
                // Never an incremental change at or below the delivered one, nor a repair below it; never an id under another lease.
                Assert.False(IsStale(row.Change.Id, Position(held.Change), held.Repair), $"{held.Change} (repair: {held.Repair}) handed out after {_delivered.GetValueOrDefault(row.Change.Id)} was delivered.");
                Assert.False(row.Until > _now, $"{held.Change} handed out to {claim.Owner} while {row.Owner} holds it until {row.Until}.");
                Assert.False(paused && held.Change.Kind == EntityChangeKind.Upsert, $"{held.Change} handed out while upserts are held.");
                (row.Owner, row.Until) = (claim.Owner, claim.LeaseUntil);
                _handedOut.Add((held.Change, owner));
            }

            return actual;
        }

        private async Task CompleteAsync(int owner, IReadOnlyList<EntityChangeCompletion> completions)
        {
            var retryAt = _now + RetrySkipped;
            await store.CompleteEntityChangesAsync(Categories, Target, Owners[owner], completions, _now, retryAt, None);
            foreach (var completion in completions)
            {
                var change = completion.Change;
                var position = Position(change);
                switch (completion.Status)
                {
                    case RecordStatus.Delivered:
                        if (!_delivered.TryGetValue(change.Id, out var delivered) || position.CompareTo(delivered) > 0)
                        {
                            _delivered[change.Id] = position;
                        }

                        _counts = _counts with { Delivered = _counts.Delivered + 1, LastDeliveredVersion = Math.Max(_counts.LastDeliveredVersion ?? long.MinValue, change.Version), LastDeliveredAt = _now };
                        break;
                    case RecordStatus.Skipped:
                        _counts = _counts with { Skipped = _counts.Skipped + 1, LastError = completion.Error, LastErrorAt = _now };
                        break;
                    case RecordStatus.PermanentFailure:
                        _failed.Add((change.Id, position));
                        _counts = _counts with { Failed = _counts.Failed + 1, LastError = completion.Error, LastErrorAt = _now };
                        break;
                }

                if (!_held.TryGetValue(change.Id, out var row) || row.Owner != Owners[owner])
                {
                    continue;
                }

                (row.Owner, row.Until) = (null, null);
                if (completion.Status is RecordStatus.Delivered or RecordStatus.PermanentFailure && row.Position.CompareTo(position) <= 0)
                {
                    _held.Remove(change.Id);
                }
                else if (completion.Status == RecordStatus.Skipped && row.Position == position)
                {
                    (row.Attempts, row.Error, row.Due) = (row.Attempts + 1, completion.Error, retryAt);
                }
            }
        }

        /// <summary>The model's held row of an id.</summary>
        private sealed class Row(EntityChange change, bool repair, long sequence)
        {
            public EntityChange Change { get; } = change;

            public (long Version, bool Delete) Position { get; } = (change.Version, change.Kind == EntityChangeKind.Delete);

            public bool Repair { get; } = repair;

            public long Sequence { get; } = sequence;

            public string? Owner { get; set; }

            public DateTimeOffset? Until { get; set; }

            public int Attempts { get; set; }

            public string? Error { get; set; }

            public DateTimeOffset? Due { get; set; }
        }
    }
}
