using Microsoft.Extensions.Time.Testing;
using static Commerce.Jobs.Tests.EntitySync.EntitySyncSut;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>Lanes as stateless workers over one store: several hosts share a (type, target), restarts resume, polls find other hosts' changes.</summary>
public sealed class EntitySyncMultiHostTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Two_hosts_on_one_store_deliver_different_ids_of_a_type_and_target_and_never_the_same_id_at_once()
    {
        var store = CreateStore();
        var time = new FakeTimeProvider(Start);
        var inFlight = new InFlight();
        var searchA = inFlight.Target("search");
        var searchB = inFlight.Target("search");
        await using var a = await CreateAsync(b => b.Batch(size: 5), time: time, store: store, targets: [searchA, new RecordingTarget("erp")]);
        await using var b = await CreateAsync(b => b.Batch(size: 5), time: time, store: store, targets: [searchB, new RecordingTarget("erp")]);

        try
        {
            // Host A claims the first five ids and holds them in a delivery.
            await a.Sync.PublishAsync([.. Enumerable.Range(0, 10).Select(i => EntityChange.Upsert(Categories, $"c-{i}", null, 1))], None);
            var heldByA = await inFlight.NextAsync();

            // A newer version of an id A is delivering, published on B: it waits for A's lease, B claims only the other ids.
            await b.UpsertAsync(heldByA[0], 2);
            var heldByB = await inFlight.NextAsync();
            Assert.Equal(5, heldByA.Count);
            Assert.Empty(heldByA.Intersect(heldByB));
            Assert.DoesNotContain(heldByA[0], heldByB);

            inFlight.Release();
            await a.DrainAsync();
            await b.DrainAsync();
            time.Advance(TimeSpan.FromSeconds(2));
            await a.DrainAsync();
            await b.DrainAsync();

            Assert.Empty(inFlight.Violations);
            var log = searchA.Log.Concat(searchB.Log).Select(c => (c.Id, c.Version)).ToList();
            Assert.Equal(11, log.Count);
            Assert.Equal(10, log.Select(c => c.Id).Distinct().Count());
            Assert.Contains((heldByA[0], 2L), log);
            Assert.NotEmpty(searchA.Log);
            Assert.NotEmpty(searchB.Log);
            Assert.Equal(0, (await a.StatusAsync("search")).PendingCount);
        }
        finally
        {
            inFlight.Release();  // a failing assertion leaves no delivery hanging for the dispose
        }
    }

    [Fact]
    public async Task A_status_read_while_a_pass_delivers_shows_what_the_store_holds_not_an_older_reading()
    {
        var store = CreateStore();
        var time = new FakeTimeProvider(Start);
        var inFlight = new InFlight();
        await using var a = await CreateAsync(b => b.Batch(size: 5), time: time, store: store, targets: [inFlight.Target("search"), new RecordingTarget("erp")]);

        try
        {
            await a.Sync.PublishAsync([.. Enumerable.Range(0, 10).Select(i => EntityChange.Upsert(Categories, $"c-{i}", null, 1))], None);
            Assert.Equal(5, (await inFlight.NextAsync()).Count);

            // The pass read the store when it began: all ten held, none delivered yet (not the empty reading from before the publish).
            var status = a.Sync.GetStatus(Categories).Single(s => s.TargetName == "search");
            Assert.Equal(10, status.PendingCount);
            Assert.Equal(0, status.DeliveredCount);

            // A pass that goes on longer than PollInterval reads them again between pages.
            time.Advance(TimeSpan.FromSeconds(3));
            inFlight.Release();
            await a.DrainAsync();
            Assert.Equal(0, a.Sync.GetStatus(Categories).Single(s => s.TargetName == "search").PendingCount);
        }
        finally
        {
            inFlight.Release();
        }
    }

    [Fact]
    public async Task A_delivery_longer_than_the_lease_keeps_its_ids_renewed_so_another_host_does_not_take_them()
    {
        var store = CreateStore();
        var time = new FakeTimeProvider(Start);
        var inFlight = new InFlight();
        await using var a = await CreateAsync(time: time, store: store, targets: [inFlight.Target("search"), new RecordingTarget("erp")]);
        await using var b = await CreateAsync(time: time, store: store, targets: [inFlight.Target("search"), new RecordingTarget("erp")]);
        await b.DrainAsync();

        try
        {
            await a.UpsertAsync("c-1", 1);
            Assert.Equal(["c-1"], await inFlight.NextAsync());

            // Twice the lease (5 minutes) passes while A delivers; B polls all along and finds c-1 leased each time.
            for (var i = 0; i < 10; i++)
            {
                time.Advance(TimeSpan.FromMinutes(1));
                await b.DrainAsync();
            }

            inFlight.Release();
            await a.DrainAsync();
            await b.DrainAsync();
            Assert.Empty(inFlight.Violations);
            Assert.Equal(1, (await a.StatusAsync("search")).DeliveredCount);
            Assert.Equal(0, (await a.StatusAsync("search")).PendingCount);
        }
        finally
        {
            inFlight.Release();
        }
    }

    [Fact]
    public async Task A_restart_with_held_and_paused_changes_delivers_nothing_twice_loses_nothing_and_keeps_the_pause()
    {
        var store = CreateStore();
        var time = new FakeTimeProvider(Start);
        var searchLog = new List<EntityChange>();
        await using (var first = await CreateAsync(b => b.RetryWithin(maxRetries: 0, window: TimeSpan.FromSeconds(10)), time: time, store: store))
        {
            await first.UpsertAsync("c-0", 1);
            await first.DrainAsync();
            await first.Sync.PauseAsync(Categories, None);
            first.Erp.Decide = c => c.Id == "c-3" ? RecordOutcome.Transient("down") : RecordOutcome.Delivered;
            await first.UpsertAsync("c-1", 1);
            await first.UpsertAsync("c-1", 2);
            await first.DeleteAsync("c-2", 3);
            await first.DeleteAsync("c-3", 4);
            await first.DrainAsync();
            searchLog.AddRange(first.Search.Log);
            Assert.Equal(["c-0", "c-2", "c-3"], first.Search.Log.Select(c => c.Id));
            Assert.Equal(["c-0", "c-2"], first.Erp.Log.Select(c => c.Id));
        }

        await using var second = await CreateAsync(time: time, store: store);
        await second.DrainAsync();
        Assert.All(second.Sync.GetStatus(Categories), s => Assert.NotNull(s.PausedSince));
        Assert.Empty(second.Search.Log);
        Assert.Equal(1, second.Status("search").PendingCount);

        // The skipped delete comes due, the held upsert waits for the resume; each goes out once.
        time.Advance(TimeSpan.FromMinutes(1));
        await second.DrainAsync();
        Assert.Equal([("c-3", 4L)], second.Erp.Log.Select(c => (c.Id, c.Version)));
        Assert.Empty(second.Search.Log);

        await second.Sync.ResumeAsync(Categories, None);
        await second.DrainAsync();
        Assert.Equal([("c-1", 2L)], second.Search.Log.Select(c => (c.Id, c.Version)));
        Assert.Equal([("c-3", 4L), ("c-1", 2L)], second.Erp.Log.Select(c => (c.Id, c.Version)));
        searchLog.AddRange(second.Search.Log);
        Assert.Equal(searchLog.Count, searchLog.Select(c => c.Id).Distinct().Count());
        Assert.All(second.Targets, t => Assert.Equal(0, second.Status(t.Name).PendingCount));
    }

    [Fact]
    public async Task A_full_sync_interrupted_by_a_stop_resumes_after_the_restart()
    {
        var store = CreateStore();
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var source = new TestEntitySource([.. Enumerable.Range(0, 10).Select(i => EntityChange.Upsert(Categories, $"c-{i}", i, 1))])
        {
            AfterEachCancellable = async (i, ct) =>
            {
                if (i == 4)
                {
                    reached.TrySetResult();
                    await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                }
            },
        };
        var first = await CreateAsync(b => b.ReadFrom(source).Batch(size: 2), configure: null, store: store, targets: [new RecordingTarget("search")]);
        await first.Sync.StartFullSyncAsync(Categories, None);
        await reached.Task.WaitAsync(Patience);
        await first.DisposeAsync();
        Assert.Equal(["c-0", "c-1", "c-2", "c-3"], first.Search.Log.Select(c => c.Id));

        source.AfterEachCancellable = null;
        await using var second = await CreateAsync(b => b.ReadFrom(source).Batch(size: 2), store: store, targets: [new RecordingTarget("search")]);
        await second.DrainAsync();

        Assert.Equal([.. Enumerable.Range(4, 6).Select(i => $"c-{i}")], second.Search.Log.Select(c => c.Id).Order(StringComparer.Ordinal));
        Assert.Equal(2, source.FullReads);
        Assert.False((await second.StatusAsync("search")).FullSyncRunning);
    }

    [Fact]
    public async Task A_full_sync_whose_checkpoint_failed_after_its_page_was_added_resumes_after_a_restart_without_dropping_the_rest()
    {
        var (store, faults) = FaultyStore.Create(CreateStore());
        var time = new FakeTimeProvider(Start);
        var source = new TestEntitySource([.. Enumerable.Range(0, 6).Select(i => EntityChange.Upsert(Categories, $"c-{i}", i, 1))]);

        // Page of one: the page holding c-2 is added, then writing the checkpoint fails (c-1 is handed out before).
        source.AfterEach = i =>
        {
            if (i == 1)
            {
                faults.FailNext("SetCheckpointAsync");
            }

            return Task.CompletedTask;
        };
        var first = await CreateAsync(b => b.ReadFrom(source).Batch(size: 1), time: time, store: store, targets: [new RecordingTarget("search")]);

        // The start pass over first: the request's ring then starts the one pass that reads (rung while the start pass ran,
        // it would start a second pass after the failure here, which reads the failed page again).
        await first.DrainAsync();
        await first.Sync.StartFullSyncAsync(Categories, None);
        await first.DrainAsync();
        Assert.Equal(1, faults.Failed("SetCheckpointAsync"));

        await first.DisposeAsync();
        Assert.DoesNotContain("c-3", first.Search.Log.Select(c => c.Id));

        // Restarted (stopped with the read unfinished): the next process takes the read up at once, from its checkpoint.
        source.AfterEach = null;
        await using var second = await CreateAsync(b => b.ReadFrom(source).Batch(size: 1), time: time, store: faults.Inner, targets: [new RecordingTarget("search")]);
        await second.DrainAsync();
        Assert.Equal([.. Enumerable.Range(0, 6).Select(i => $"c-{i}")], first.Search.Log.Concat(second.Search.Log).Select(c => c.Id).Distinct().Order(StringComparer.Ordinal));
        var status = await second.StatusAsync("search");
        Assert.False(status.FullSyncRunning);
        Assert.Equal(0, status.PendingCount);
    }

    [Fact]
    public async Task A_full_sync_whose_host_died_between_adding_a_page_and_its_checkpoint_is_taken_over_by_another_host_after_the_lease()
    {
        var (store, faults) = FaultyStore.Create(CreateStore());
        var time = new FakeTimeProvider(Start);
        var source = new TestEntitySource([.. Enumerable.Range(0, 5).Select(i => EntityChange.Upsert(Categories, $"c-{i}", i, 1))]);

        // The host dies after adding the page of c-2: from then on its checkpoint writes (and reads) never reach the store.
        source.AfterEach = i =>
        {
            if (i == 1)
            {
                faults.FailNext("SetCheckpointAsync", times: 1000);
                faults.FailNext("GetCheckpointAsync", times: 1000);
            }

            return Task.CompletedTask;
        };
        var dead = await CreateAsync(b => b.ReadFrom(source).Batch(size: 1), time: time, store: store, targets: [new RecordingTarget("search")]);
        await dead.Sync.StartFullSyncAsync(Categories, None);
        await dead.DrainAsync();
        await dead.DisposeAsync();
        Assert.DoesNotContain("c-3", dead.Search.Log.Select(c => c.Id));

        source.AfterEach = null;
        await using var other = await CreateAsync(b => b.ReadFrom(source).Batch(size: 1), time: time, store: faults.Inner, targets: [new RecordingTarget("search")]);
        await other.DrainAsync();
        Assert.DoesNotContain("c-3", other.Search.Log.Select(c => c.Id));  // the reader's lease runs: not taken over yet

        time.Advance(TimeSpan.FromMinutes(5));
        await other.DrainAsync();
        time.Advance(TimeSpan.FromSeconds(2));
        await other.DrainAsync();
        Assert.Equal(["c-3", "c-4"], other.Search.Log.Select(c => c.Id).Where(id => id is "c-3" or "c-4").Order(StringComparer.Ordinal));
        var status = await other.StatusAsync("search");
        Assert.False(status.FullSyncRunning);
        Assert.Equal(0, status.PendingCount);
    }

    [Fact]
    public async Task PollInterval_picks_up_a_change_another_host_added_to_the_store()
    {
        var store = CreateStore();
        await using var sut = await CreateAsync(b => b.Configure(o => o.PollInterval = TimeSpan.FromSeconds(5)), store: store);
        await sut.DrainAsync();

        // Another host publishes: the change is in the store, and this host's doorbell does not ring.
        await store.AddEntityChangesAsync(["search", "erp"], [EntityChange.Upsert(Categories, "c-1", null, 1)], repair: false, None);
        sut.Time.Advance(TimeSpan.FromSeconds(4));
        await sut.DrainAsync();
        Assert.All(sut.Targets, t => Assert.Empty(t.Log));

        sut.Time.Advance(TimeSpan.FromSeconds(1));
        await sut.DrainAsync();
        Assert.All(sut.Targets, t => Assert.Equal(["c-1"], t.Log.Select(c => c.Id)));
        Assert.Equal(1, sut.Status("search").DeliveredCount);
    }

    /// <summary>Targets (one per host) that hold each delivery until released, and record an id delivered by two at once.</summary>
    private sealed class InFlight
    {
        private readonly Lock _gate = new();
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
        private readonly List<string> _violations = [];
        private readonly Queue<TaskCompletionSource<List<string>>> _waiting = new();
        private readonly Queue<List<string>> _entered = new();
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<string> Violations
        {
            get
            {
                lock (_gate)
                {
                    return [.. _violations];
                }
            }
        }

        public RecordingTarget Target(string name) => new(name) { BeforeDeliverChanges = changes => DeliverAsync([.. changes.Select(c => c.Id)]) };

        public void Release() => _release.TrySetResult();

        /// <summary>Waits until a delivery (not released yet) enters a target; gives its ids.</summary>
        public Task<List<string>> NextAsync()
        {
            lock (_gate)
            {
                if (_entered.TryDequeue(out var ids))
                {
                    return Task.FromResult(ids);
                }

                var next = new TaskCompletionSource<List<string>>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Enqueue(next);
                return next.Task.WaitAsync(Patience);
            }
        }

        public async Task DeliverAsync(IReadOnlyList<string> ids)
        {
            lock (_gate)
            {
                foreach (var id in ids)
                {
                    if (!_ids.Add(id))
                    {
                        _violations.Add($"{id} is delivered by two hosts at once");
                    }
                }

                if (!_release.Task.IsCompleted)
                {
                    if (_waiting.TryDequeue(out var waiter))
                    {
                        waiter.TrySetResult([.. ids]);
                    }
                    else
                    {
                        _entered.Enqueue([.. ids]);
                    }
                }
            }

            try
            {
                await _release.Task;
            }
            finally
            {
                lock (_gate)
                {
                    _ids.ExceptWith(ids);
                }
            }
        }
    }
}
