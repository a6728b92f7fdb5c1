using Commerce.Jobs.Tests.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Commerce.Jobs.Tests.EntitySync.EntitySyncSut;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>
/// For any interleaving of upserts, deletes, pauses, resumes and full syncs, every target ends with exactly the
/// source's final state and never sees an older version after a newer one; while paused no upsert reaches a target
/// and every delete does; a resume delivers one upsert per id that changed.
/// </summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class EntitySyncPropertyTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    private static readonly Gen<Op> OpGen = Gen.Frequency(
        (8, Gen.Choose(0, 7).Select(id => new Op(OpKind.Upsert, id))),
        (3, Gen.Choose(0, 7).Select(id => new Op(OpKind.Delete, id))),
        (1, Gen.Choose(1, 6).Select(n => new Op(OpKind.UpsertMany, n))),
        (1, Gen.Constant(new Op(OpKind.Pause, 0))),
        (1, Gen.Constant(new Op(OpKind.Resume, 0))),
        (1, Gen.Constant(new Op(OpKind.Drain, 0))));

    private static readonly Arbitrary<Case> Cases =
        (from batchSize in Gen.Elements(1, 2, 3, 100)
         from n in Gen.Choose(0, 80)
         from ops in Gen.ArrayOf(OpGen, n)
         select new Case(batchSize, ops)).ToArbitrary();

    private static readonly Arbitrary<PauseCase> PauseCases =
        (from before in Gen.ArrayOf(Gen.Choose(0, 9), 10)
         from n in Gen.Choose(1, 150)
         from edits in Gen.ArrayOf(from id in Gen.Choose(0, 9) from delete in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true))) select (id, delete), n)
         select new PauseCase(before, edits)).ToArbitrary();

    private static readonly Arbitrary<RaceCase> RaceCases =
        (from entities in Gen.Choose(1, 30)
         from sourceVersions in Gen.ArrayOf(Gen.Choose(0, 100), entities)
         from m in Gen.Choose(0, 40)
         from changes in Gen.ArrayOf(
             from position in Gen.Choose(-1, entities)
             from id in Gen.Choose(0, entities + 2)
             from delete in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
             from version in Gen.Choose(0, 100)
             select new RaceChange(position, id, delete, version),
             m)
         from batchSize in Gen.Elements(1, 4, 100)
         select new RaceCase(sourceVersions, changes, batchSize)).ToArbitrary();

    private static readonly Arbitrary<(Op[] Ops, int Seed)> FailingCases =
        (from n in Gen.Choose(0, 60)
         from ops in Gen.ArrayOf(OpGen, n)
         from seed in Gen.Choose(0, int.MaxValue)
         select (ops, seed)).ToArbitrary();

    public enum OpKind
    {
        Upsert,
        Delete,
        UpsertMany,
        Pause,
        Resume,
        Drain,
    }

    [Property(MaxTest = 100)]
    public Property Any_interleaving_ends_with_each_target_holding_the_final_state() =>
        Prop.ForAll(Cases, c => Task.Run(() => RunAsync(c)).GetAwaiter().GetResult());

    [Property(MaxTest = 100)]
    public Property After_resume_each_id_changed_while_paused_is_delivered_once() =>
        Prop.ForAll(PauseCases, c => Task.Run(() => PauseAsync(c)).GetAwaiter().GetResult());

    [Property(MaxTest = 100)]
    public Property Full_sync_racing_incremental_changes_never_regresses_a_version() =>
        Prop.ForAll(RaceCases, c => Task.Run(() => RaceAsync(c)).GetAwaiter().GetResult());

    [Property(MaxTest = 50)]
    public Property A_target_failing_at_random_still_ends_with_the_final_state() =>
        Prop.ForAll(FailingCases, c => Task.Run(() => FailingAsync(c.Ops, c.Seed)).GetAwaiter().GetResult());

    private static async Task RunAsync(Case c)
    {
        await using var sut = await CreateAsync(b => b.Batch(c.BatchSize));
        var model = new Model(sut);
        foreach (var op in c.Ops)
        {
            await model.ApplyAsync(op, checkPause: true);
        }

        await model.FinishAsync(checkPause: true);
        foreach (var target in sut.Targets)
        {
            Assert.Equal(0, sut.Status(target.Name).PendingCount);
            Assert.Empty(await HeldAsync(sut.Store, Categories, target.Name));
        }
    }

    private static async Task PauseAsync(PauseCase c)
    {
        await using var sut = await CreateAsync(b => b.Batch(1000));
        long version = 0;
        foreach (var id in c.Before)
        {
            await sut.UpsertAsync($"c-{id}", ++version);
        }

        await sut.DrainAsync();
        await sut.Sync.PauseAsync(Categories, None);
        var last = new Dictionary<string, EntityChangeKind>();
        foreach (var (id, delete) in c.Edits)
        {
            if (delete)
            {
                await sut.DeleteAsync($"c-{id}", ++version);
            }
            else
            {
                await sut.UpsertAsync($"c-{id}", ++version);
            }

            last[$"c-{id}"] = delete ? EntityChangeKind.Delete : EntityChangeKind.Upsert;
        }

        await sut.DrainAsync();
        var marks = sut.Targets.Select(t => t.Log.Count).ToArray();
        await sut.Sync.ResumeAsync(Categories, None);
        await sut.DrainAsync();

        var expected = last.Where(l => l.Value == EntityChangeKind.Upsert).Select(l => l.Key).Order().ToList();
        for (var i = 0; i < sut.Targets.Length; i++)
        {
            var resumed = sut.Targets[i].Log.Skip(marks[i]).ToList();
            Assert.All(resumed, r => Assert.Equal(EntityChangeKind.Upsert, r.Kind));
            Assert.Equal(expected, resumed.Select(r => r.Id).Order());
        }
    }

    private static async Task RaceAsync(RaceCase c)
    {
        // Versions are unique: a random magnitude and a counter, so source and incremental versions interleave.
        long counter = 0;
        long Version(int magnitude) => (magnitude * 1000L) + Interlocked.Increment(ref counter);

        var source = new TestEntitySource([.. c.SourceVersions.Select((v, i) => EntityChange.Upsert(Categories, $"c-{i}", "source", Version(v)))]);
        var changes = c.Changes.Select(r => (r.Position, Change: r.Delete ? EntityChange.Delete(Categories, $"c-{r.Id}", Version(r.Version)) : EntityChange.Upsert(Categories, $"c-{r.Id}", "incremental", Version(r.Version)))).ToList();
        await using var sut = await CreateAsync(b => b.ReadFrom(source).Batch(c.BatchSize));

        // Changes at position p are published once, by whichever target's full sync reads entity p first.
        var published = new int[c.SourceVersions.Length];
        source.AfterEach = async p =>
        {
            if (Interlocked.Exchange(ref published[p], 1) == 0)
            {
                await PublishAtAsync(p);
            }
        };

        await PublishAtAsync(-1);
        await sut.Sync.StartFullSyncAsync(Categories, None);
        await sut.DrainAsync();
        await PublishAtAsync(c.SourceVersions.Length);
        await sut.DrainAsync();

        var expected = source.Entities.Concat(changes.Select(x => x.Change))
            .GroupBy(e => e.Id)
            .Select(g => g.MaxBy(e => e.Version)!)
            .Where(e => e.Kind == EntityChangeKind.Upsert)
            .ToDictionary(e => e.Id, e => e.Version);
        foreach (var target in sut.Targets)
        {
            Assert.Empty(target.Violations);
            Assert.Equal(expected.OrderBy(e => e.Key), target.State.OrderBy(e => e.Key));
            Assert.False(sut.Status(target.Name).FullSyncRunning);
        }

        async Task PublishAtAsync(int position)
        {
            foreach (var (_, change) in changes.Where(x => x.Position == position))
            {
                await sut.Sync.PublishAsync(change, None);
            }
        }
    }

    private static async Task FailingAsync(Op[] ops, int seed)
    {
        var random = new Random(seed);
        var erp = new RecordingTarget("erp");
        erp.Decide = _ =>
        {
            lock (random)
            {
                return random.NextDouble() < 0.3 ? RecordOutcome.Transient("flaky") : RecordOutcome.Delivered;
            }
        };
        await using var sut = await CreateAsync(b => b.Batch(3).RetryWithin(maxRetries: 0, window: TimeSpan.FromSeconds(10)), targets: [new RecordingTarget("search"), erp]);
        var model = new Model(sut);
        foreach (var op in ops)
        {
            await model.ApplyAsync(op, checkPause: false);
        }

        // Skipped changes are tried again every RetrySkippedAfter; with the target healthy again, everything arrives.
        await model.ResumeAsync(checkPause: false);
        await sut.DrainAsync();
        erp.Decide = null;
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await model.FinishAsync(checkPause: false);
        Assert.Equal(0, sut.Status("erp").PendingCount);
    }

    /// <summary>Drives the sync and keeps the source's state: the last change of each id.</summary>
    private sealed class Model(EntitySyncSut sut)
    {
        private readonly Dictionary<string, EntityChange> _last = [];
        private readonly Dictionary<string, EntityChange> _deletedWhilePaused = [];
        private long _version;
        private bool _paused;
        private int[] _marks = [];

        public async Task ApplyAsync(Op op, bool checkPause)
        {
            switch (op.Kind)
            {
                case OpKind.Upsert:
                    await PublishAsync(EntityChange.Upsert(Categories, $"c-{op.Value}", "payload", ++_version));
                    break;
                case OpKind.Delete:
                    var delete = EntityChange.Delete(Categories, $"c-{op.Value}", ++_version);
                    await PublishAsync(delete);
                    if (_paused)
                    {
                        _deletedWhilePaused[delete.Id] = delete;
                    }

                    break;
                case OpKind.UpsertMany:
                    var many = Enumerable.Range(0, op.Value).Select(i => EntityChange.Upsert(Categories, $"c-{(i * 3) % 8}", "payload", ++_version)).ToList();
                    Assert.Equal(many.Count, await sut.Sync.PublishAsync(many, None));
                    many.ForEach(Record);
                    break;
                case OpKind.Pause:
                    await sut.Sync.PauseAsync(Categories, None);
                    if (!_paused)
                    {
                        _paused = true;
                        _marks = [.. sut.Targets.Select(t => t.Log.Count)];
                        _deletedWhilePaused.Clear();
                    }

                    break;
                case OpKind.Resume:
                    await ResumeAsync(checkPause);
                    break;
                default:
                    await sut.DrainAsync();
                    break;
            }
        }

        public async Task ResumeAsync(bool checkPause)
        {
            if (!_paused)
            {
                await sut.Sync.ResumeAsync(Categories, None);
                return;
            }

            await sut.DrainAsync();
            if (checkPause)
            {
                // While paused: no upsert reached a target, every delete (the last of its id) did.
                for (var i = 0; i < sut.Targets.Length; i++)
                {
                    var sincePause = sut.Targets[i].Log.Skip(_marks[i]).ToList();
                    Assert.DoesNotContain(sincePause, c => c.Kind == EntityChangeKind.Upsert);
                    Assert.All(_deletedWhilePaused.Values, d => Assert.Contains(d, sincePause));
                }
            }

            // On resume, one delivery per id whose held upsert the target does not have yet.
            var states = sut.Targets.Select(t => t.State).ToArray();
            var marks = sut.Targets.Select(t => t.Log.Count).ToArray();
            await sut.Sync.ResumeAsync(Categories, None);
            _paused = false;
            await sut.DrainAsync();
            if (checkPause)
            {
                for (var i = 0; i < sut.Targets.Length; i++)
                {
                    var expected = _last.Values.Where(c => c.Kind == EntityChangeKind.Upsert && states[i].GetValueOrDefault(c.Id) != c.Version).Select(c => c.Id).Order();
                    Assert.Equal(expected, sut.Targets[i].Log.Skip(marks[i]).Select(c => c.Id).Order());
                }
            }
        }

        public async Task FinishAsync(bool checkPause)
        {
            await ResumeAsync(checkPause);
            await sut.DrainAsync();
            var expected = _last.Values.Where(c => c.Kind == EntityChangeKind.Upsert).ToDictionary(c => c.Id, c => c.Version);
            foreach (var target in sut.Targets)
            {
                Assert.Empty(target.Violations);
                Assert.Equal(expected.OrderBy(e => e.Key), target.State.OrderBy(e => e.Key));
            }
        }

        private async Task PublishAsync(EntityChange change)
        {
            Assert.True(await sut.Sync.PublishAsync(change, None));
            Record(change);
        }

        private void Record(EntityChange change)
        {
            _last[change.Id] = change;
            if (_paused && change.Kind == EntityChangeKind.Upsert)
            {
                // The store holds one change per id: a newer upsert replaces a delete not claimed yet (the target gets the
                // upsert on resume), so only a delete that stays its id's last change is sure to go out while paused.
                _deletedWhilePaused.Remove(change.Id);
            }
        }
    }

    public sealed record Op(OpKind Kind, int Value)
    {
        public override string ToString() => Kind is OpKind.Pause or OpKind.Resume or OpKind.Drain ? Kind.ToString() : $"{Kind}({Value})";
    }

    public sealed record Case(int BatchSize, Op[] Ops)
    {
        public override string ToString() => $"batch {BatchSize}: {string.Join(", ", Ops.Select(o => o.ToString()))}";
    }

    public sealed record PauseCase(int[] Before, (int Id, bool Delete)[] Edits)
    {
        public override string ToString() => $"before [{string.Join(",", Before)}] paused [{string.Join(",", Edits.Select(e => $"{(e.Delete ? "-" : "+")}{e.Id}"))}]";
    }

    public sealed record RaceChange(int Position, int Id, bool Delete, int Version);

    public sealed record RaceCase(int[] SourceVersions, RaceChange[] Changes, int BatchSize)
    {
        public override string ToString() => $"batch {BatchSize}, source [{string.Join(",", SourceVersions)}], changes [{string.Join(", ", Changes.Select(c => $"@{c.Position} {(c.Delete ? "-" : "+")}c-{c.Id} v{c.Version}"))}]";
    }
}
