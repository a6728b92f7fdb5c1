using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.Time.Testing;
using static Commerce.Jobs.Tests.EntitySync.EntitySyncSut;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>Incremental delivery, pause and resume with consolidation, independent targets, retries, the store, targeted and full syncs, status.</summary>
public sealed class EntitySyncTests
{
    private static readonly CancellationToken None = CancellationToken.None;

    [Fact]
    public async Task Publish_delivers_to_every_target_with_a_stable_idempotency_key()
    {
        await using var sut = await CreateAsync();

        Assert.True(await sut.UpsertAsync("c-1", 7));
        await sut.DrainAsync();

        foreach (var target in sut.Targets)
        {
            var change = Assert.Single(target.Log);
            Assert.Equal(("c-1", 7L, "c-1@7"), (change.Id, change.Version, (string?)change.Payload));
            Assert.Equal("categories:c-1:7", Assert.Single(target.IdempotencyKeys));
            Assert.Equal(change.IdempotencyKey, target.IdempotencyKeys[0]);
        }
    }

    [Fact]
    public async Task Publish_of_an_unconfigured_disabled_or_non_incremental_type_is_not_accepted()
    {
        await using var sut = await CreateAsync(configure: jobs =>
        {
            jobs.AddEntitySync("buyers").DeliverTo("search").Disabled();
            jobs.AddEntitySync("suppliers").DeliverTo("search").WithoutIncrementalSync();
        });

        Assert.False(await sut.UpsertAsync("x", 1, type: "products"));
        Assert.False(await sut.UpsertAsync("x", 1, type: "buyers"));
        Assert.False(await sut.UpsertAsync("x", 1, type: "suppliers"));
        await sut.DrainAsync();

        Assert.Empty(sut.Search.Log);
        Assert.Empty(await HeldAsync(sut.Store, "buyers", "search"));
    }

    [Fact]
    public async Task Type_names_compare_case_insensitively_and_targets_see_the_configured_spelling()
    {
        await using var sut = await CreateAsync();

        Assert.True(await sut.UpsertAsync("c-1", 1, type: "Categories"));
        await sut.DrainAsync();

        Assert.Equal("categories", Assert.Single(sut.Search.Log).EntityType);
    }

    [Fact]
    public async Task Stale_and_duplicate_changes_are_not_delivered_and_leave_nothing_in_the_store()
    {
        await using var sut = await CreateAsync();
        await sut.UpsertAsync("c-1", 5);
        await sut.DrainAsync();

        Assert.False(await sut.UpsertAsync("c-1", 5));
        Assert.False(await sut.UpsertAsync("c-1", 3));
        Assert.False(await sut.DeleteAsync("c-1", 4));
        await sut.DrainAsync();

        Assert.All(sut.Targets, t => Assert.Equal(5, Assert.Single(t.Log).Version));
        Assert.Empty(await HeldAsync(sut.Store, Categories, "search"));
        Assert.Empty(await HeldAsync(sut.Store, Categories, "erp"));
    }

    [Fact]
    public async Task Hundred_edits_while_paused_become_one_delivery_per_record_on_resume()
    {
        await using var sut = await CreateAsync(b => b.Batch(size: 1000));
        await sut.Sync.PauseAsync(Categories, None);

        for (var version = 1; version <= 100; version++)
        {
            for (var record = 0; record < 5; record++)
            {
                await sut.UpsertAsync($"c-{record}", version);
            }
        }

        await sut.DrainAsync();
        Assert.All(sut.Targets, t => Assert.Empty(t.Log));
        Assert.All(sut.Sync.GetStatus(Categories), s => Assert.Equal(5, s.PendingCount));

        // Memory grows with ids, not with changes: the store holds one upsert per record and target.
        Assert.Equal(5, (await HeldAsync(sut.Store, Categories, "search")).Count);

        await sut.Sync.ResumeAsync(Categories, None);
        await sut.DrainAsync();

        foreach (var target in sut.Targets)
        {
            Assert.Equal(5, target.Log.Count);
            Assert.All(target.Log, c => Assert.Equal(100, c.Version));
            Assert.Equal(1, target.Calls);
        }

        Assert.Empty(await HeldAsync(sut.Store, Categories, "search"));
    }

    [Fact]
    public async Task Deletes_are_never_paused_and_drop_the_held_upsert_of_their_id()
    {
        await using var sut = await CreateAsync();
        await sut.UpsertAsync("c-1", 1);
        await sut.DrainAsync();
        await sut.Sync.PauseAsync(Categories, None);

        await sut.UpsertAsync("c-1", 2);
        await sut.UpsertAsync("c-2", 3);
        await sut.DeleteAsync("c-1", 4);
        await sut.DrainAsync();

        foreach (var target in sut.Targets)
        {
            Assert.Equal([(EntityChangeKind.Upsert, 1L), (EntityChangeKind.Delete, 4L)], target.Log.Select(c => (c.Kind, c.Version)));
            Assert.Empty(target.State);
        }

        await sut.Sync.ResumeAsync(Categories, None);
        await sut.DrainAsync();

        foreach (var target in sut.Targets)
        {
            var resumed = Assert.Single(target.Log.Skip(2));
            Assert.Equal(("c-2", 3L), (resumed.Id, resumed.Version));
        }
    }

    [Fact]
    public async Task A_delete_goes_out_while_paused_even_when_a_newer_upsert_of_its_id_is_held()
    {
        await using var sut = await CreateAsync();
        await sut.Sync.PauseAsync(Categories, None);

        // The store holds one change per id: the newer upsert waits while the delete is being delivered (claimed).
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = sut.Targets.Select(t =>
        {
            var delivering = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            t.BeforeDeliver = async _ =>
            {
                delivering.TrySetResult();
                await release.Task;
            };
            return delivering.Task;
        }).ToList();
        await sut.DeleteAsync("c-1", 1);
        await Task.WhenAll(entered).WaitAsync(TimeSpan.FromSeconds(30));
        await sut.UpsertAsync("c-1", 2);
        release.SetResult();
        await sut.DrainAsync();

        Assert.All(sut.Targets, t => Assert.Equal((EntityChangeKind.Delete, 1L), (Assert.Single(t.Log).Kind, t.Log[0].Version)));

        await sut.Sync.ResumeAsync(Categories, None);
        await sut.DrainAsync();

        Assert.All(sut.Targets, t => Assert.Equal(2, t.State["c-1"]));
    }

    [Fact]
    public async Task Pause_all_and_resume_all_cover_every_type()
    {
        await using var sut = await CreateAsync(configure: jobs =>
        {
            jobs.AddEntitySync("categories").DeliverTo("search");
            jobs.AddEntitySync("buyers").DeliverTo("search", "erp");
        });
        await sut.Sync.PauseAllAsync(None);

        await sut.UpsertAsync("c-1", 1);
        await sut.UpsertAsync("b-1", 1, type: "buyers");
        await sut.DrainAsync();
        Assert.Empty(sut.Search.Log);
        Assert.All(sut.Sync.GetStatuses(), s => Assert.Equal(Start, s.PausedSince));
        Assert.All(await sut.Sync.GetConfigurationsAsync(None), c => Assert.True(c.Paused));

        await sut.Sync.ResumeAllAsync(None);
        await sut.DrainAsync();

        Assert.Equal(["b-1", "c-1"], sut.Search.Log.Select(c => c.Id).Order());
        Assert.Equal(["b-1"], sut.Erp.Log.Select(c => c.Id));
        Assert.All(sut.Sync.GetStatuses(), s => Assert.Null(s.PausedSince));
    }

    [Fact]
    public async Task Pause_cancels_a_delivery_of_upserts_in_progress_and_holds_them()
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var search = new RecordingTarget("search")
        {
            BeforeDeliver = async ct =>
            {
                entered.TrySetResult();
                await new TaskCompletionSource().Task.WaitAsync(ct);
            },
        };
        await using var sut = await CreateAsync(targets: [search, new RecordingTarget("erp")]);

        await sut.UpsertAsync("c-1", 1);
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await sut.Sync.PauseAsync(Categories, None);

        Assert.Empty(search.Log);
        Assert.Equal(1, sut.Status("search").PendingCount);
        Assert.Equal(0, sut.Status("search").SkippedCount);

        search.BeforeDeliver = null;
        await sut.Sync.ResumeAsync(Categories, None);
        await sut.DrainAsync();

        Assert.Equal(1, Assert.Single(search.Log).Version);
    }

    [Fact]
    public async Task A_failing_target_does_not_delay_another()
    {
        // The fake clock never moves: the failing target waits for its first retry for ever.
        await using var sut = await CreateAsync(b => b.Batch(size: 10).RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(60)));
        sut.Erp.Decide = _ => RecordOutcome.Transient("503 Service Unavailable");

        for (var i = 0; i < 50; i++)
        {
            await sut.UpsertAsync($"c-{i}", i + 1);
        }

        await sut.DrainAsync("search");

        Assert.Equal(50, sut.Search.State.Count);
        Assert.Empty(sut.Erp.Log);
        Assert.False(sut.Observer.WhenLaneIdleAsync(Categories, "erp").IsCompleted);
        Assert.Equal(50, (await sut.StatusAsync("erp")).PendingCount);
        Assert.Equal(0, sut.Status("search").PendingCount);
    }

    [Fact]
    public async Task Retries_within_the_window_deliver_once_the_target_recovers()
    {
        var time = new AutoAdvanceTimeProvider(Start);
        await using var sut = await CreateAsync(b => b.RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(60)), time: time);
        var failures = 2;
        sut.Erp.Decide = _ => Interlocked.Decrement(ref failures) >= 0 ? RecordOutcome.Transient("timeout") : RecordOutcome.Delivered;

        await sut.UpsertAsync("c-1", 1);
        await sut.DrainAsync();

        Assert.Equal(1, Assert.Single(sut.Erp.Log).Version);
        Assert.Equal(3, sut.Erp.Calls);
        Assert.Equal(0, sut.Status("erp").SkippedCount);
        Assert.True(time.GetUtcNow() - Start <= TimeSpan.FromSeconds(60));
    }

    [Fact]
    public async Task Skipped_changes_stay_in_the_store_and_are_tried_again_later()
    {
        await using var sut = await CreateAsync(b => b.RetryWithin(maxRetries: 0, window: TimeSpan.FromSeconds(60)));
        sut.Erp.Decide = _ => RecordOutcome.Transient("connection refused");

        await sut.UpsertAsync("c-1", 1);
        await sut.DeleteAsync("c-2", 2);
        await sut.DrainAsync();

        var status = sut.Status("erp");
        Assert.Equal((2L, 2L, 0L), (status.SkippedCount, status.PendingCount, status.DeliveredCount));
        Assert.Contains("connection refused", status.LastError, StringComparison.Ordinal);
        Assert.Equal(Start, status.LastErrorAt);
        Assert.Equal(2, (await HeldAsync(sut.Store, Categories, "erp")).Count);
        Assert.Empty(await HeldAsync(sut.Store, Categories, "search"));

        sut.Erp.Decide = null;
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await sut.DrainAsync();

        Assert.Equal(["c-1", "c-2"], sut.Erp.Log.Select(c => c.Id).Order());
        Assert.Equal(0, sut.Status("erp").PendingCount);
        Assert.Empty(await HeldAsync(sut.Store, Categories, "erp"));
        Assert.Equal(new Dictionary<string, long> { ["c-1"] = 1, ["c-2"] = 2 }, await sut.Store.GetDeliveredEntityVersionsAsync(Categories, "erp", None));
    }

    [Fact]
    public async Task A_change_rejected_permanently_is_not_tried_again()
    {
        await using var sut = await CreateAsync();
        sut.Erp.Decide = c => c.Id == "bad" ? RecordOutcome.Permanent("422 invalid category") : RecordOutcome.Delivered;

        await sut.UpsertAsync("bad", 1);
        await sut.UpsertAsync("good", 2);
        await sut.DrainAsync();
        sut.Time.Advance(TimeSpan.FromHours(1));
        await sut.DrainAsync();

        var status = sut.Status("erp");
        Assert.Equal((1L, 1L, 0L), (status.FailedCount, status.DeliveredCount, status.PendingCount));
        Assert.Contains("422 invalid category", status.LastError, StringComparison.Ordinal);
        Assert.Equal(["good"], sut.Erp.Log.Select(c => c.Id));
        Assert.Empty(await HeldAsync(sut.Store, Categories, "erp"));
    }

    [Fact]
    public async Task Too_many_skips_stop_the_pass_until_the_retry_time()
    {
        await using var sut = await CreateAsync(b => b.Batch(size: 2, maxItemsToSkip: 1).RetryWithin(maxRetries: 0, window: TimeSpan.FromSeconds(10)));
        sut.Erp.Decide = _ => RecordOutcome.Transient("down");
        await sut.DrainAsync();  // the lanes' first pass is over: the publish's doorbell is the one pass that follows

        await sut.Sync.PublishAsync([.. Enumerable.Range(0, 6).Select(i => EntityChange.Upsert(Categories, $"c-{i}", null, i + 1))], None);

        await sut.DrainAsync();

        Assert.Equal(1, sut.Erp.Calls);
        Assert.Contains("MaxItemsToSkip (1)", sut.Status("erp").LastError, StringComparison.Ordinal);
        Assert.Equal(6, sut.Status("search").DeliveredCount);

        sut.Erp.Decide = null;
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await sut.DrainAsync();

        Assert.Equal(6, sut.Erp.State.Count);
    }

    [Fact]
    public async Task Accepted_changes_are_held_in_the_store_until_delivered_and_survive_a_restart()
    {
        var store = CreateStore();
        await using (var first = await CreateAsync(b => b.RetryWithin(maxRetries: 0, window: TimeSpan.FromSeconds(60)), store: store))
        {
            first.Erp.Decide = _ => RecordOutcome.Transient("down");
            await first.UpsertAsync("c-1", 1);
            await first.UpsertAsync("c-2", 2);
            await first.DeleteAsync("c-3", 3);
            await first.DrainAsync();

            Assert.Empty(await HeldAsync(store, Categories, "search"));
            Assert.Equal(["c-1", "c-2", "c-3"], (await HeldAsync(store, Categories, "erp")).Select(c => c.Id).Order());
        }

        // A new host over the same store delivers what the first could not, without anything published again (the
        // skipped changes once due again, after RetrySkippedAfter).
        await using var second = await CreateAsync(store: store, time: new FakeTimeProvider(Start.AddMinutes(1)));
        await second.DrainAsync();

        Assert.Empty(second.Search.Log);
        Assert.Equal([("c-1", 1L), ("c-2", 2L), ("c-3", 3L)], second.Erp.Log.Select(c => (c.Id, c.Version)).Order());
        Assert.Empty(await HeldAsync(store, Categories, "erp"));
    }

    [Fact]
    public async Task A_change_published_before_start_older_than_what_was_delivered_before_a_restart_is_not_delivered()
    {
        var store = CreateStore();
        await using (var first = await CreateAsync(store: store))
        {
            await first.UpsertAsync("c-1", 9);
            await first.DrainAsync();
        }

        await using var second = await CreateAsync(store: store, start: false);
        await second.UpsertAsync("c-1", 5);
        await second.UpsertAsync("c-2", 1);
        await second.Sync.StartAsync(None);
        await second.DrainAsync();

        Assert.All(second.Targets, t => Assert.Equal(["c-2"], t.Log.Select(c => c.Id)));
        Assert.Empty(await HeldAsync(store, Categories, "search"));
    }

    [Fact]
    public async Task Upserts_held_by_a_pause_are_in_the_store()
    {
        var store = CreateStore();
        await using var sut = await CreateAsync(b => b.Paused(), store: store);

        await sut.UpsertAsync("c-1", 1);
        await sut.UpsertAsync("c-1", 2);
        await sut.DrainAsync();

        Assert.Equal(2, Assert.Single(await HeldAsync(store, Categories, "search")).Version);
        Assert.Equal(Start, sut.Status("search").PausedSince);
    }

    [Fact]
    public async Task Targeted_sync_redelivers_the_ids_from_the_source()
    {
        var source = new TestEntitySource(EntityChange.Upsert(Categories, "c-1", "one", 5), EntityChange.Upsert(Categories, "c-2", "two", 7), EntityChange.Delete(Categories, "c-3", 9));
        await using var sut = await CreateAsync(b => b.ReadFrom(source));

        var read = await sut.Sync.SyncIdsAsync(Categories, ["c-1", "c-3", "missing"], None);
        await sut.DrainAsync();

        Assert.Equal(2, read);
        Assert.All(sut.Targets, t => Assert.Equal([("c-1", 5L), ("c-3", 9L)], t.Log.Select(c => (c.Id, c.Version)).Order()));
        Assert.All(sut.Targets, t => Assert.Equal(new Dictionary<string, long> { ["c-1"] = 5 }, t.State));
    }

    [Fact]
    public async Task Targeted_sync_repairs_a_target_at_the_version_it_had_but_never_regresses_one()
    {
        var source = new TestEntitySource(EntityChange.Upsert(Categories, "c-1", "one", 5), EntityChange.Upsert(Categories, "c-2", "two", 3));
        await using var sut = await CreateAsync(b => b.ReadFrom(source));
        await sut.UpsertAsync("c-1", 5);
        await sut.UpsertAsync("c-2", 8);
        await sut.DrainAsync();
        sut.Search.Wipe();

        await sut.Sync.SyncIdsAsync(Categories, ["c-1", "c-2"], None);
        await sut.DrainAsync();

        Assert.Equal(new Dictionary<string, long> { ["c-1"] = 5 }, sut.Search.State);
        Assert.Equal(["c-1", "c-2", "c-1"], sut.Search.Log.Select(c => c.Id));
        Assert.Empty(sut.Search.Violations);
        Assert.Equal(new Dictionary<string, long> { ["c-1"] = 5, ["c-2"] = 8 }, sut.Erp.State);
    }

    [Fact]
    public async Task Targeted_and_full_sync_need_a_source_and_an_enabled_type()
    {
        await using var sut = await CreateAsync(configure: jobs =>
        {
            jobs.AddEntitySync("categories").DeliverTo("search");
            jobs.AddEntitySync("buyers").DeliverTo("search").ReadFrom(new TestEntitySource()).Disabled();
        });

        var noSource = await Assert.ThrowsAsync<InvalidOperationException>(() => sut.Sync.SyncIdsAsync(Categories, ["c-1"], None).AsTask());
        Assert.Contains("no entity source", noSource.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<InvalidOperationException>(() => sut.Sync.StartFullSyncAsync("buyers", None).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => sut.Sync.StartFullSyncAsync("products", None).AsTask());
    }

    [Fact]
    public async Task Full_sync_delivers_every_entity_to_every_target()
    {
        var source = new TestEntitySource([.. Enumerable.Range(1, 250).Select(i => EntityChange.Upsert(Categories, $"c-{i}", i, i))]);
        await using var sut = await CreateAsync(b => b.ReadFrom(source).Batch(size: 40));

        await sut.Sync.StartFullSyncAsync(Categories, None);
        await sut.DrainAsync();

        Assert.All(sut.Targets, t => Assert.Equal(250, t.State.Count));
        Assert.Equal(2, source.FullReads);
        Assert.All(sut.Sync.GetStatus(Categories), s => Assert.False(s.FullSyncRunning));
        Assert.All(sut.Sync.GetStatus(Categories), s => Assert.Equal(250, s.LastDeliveredVersion));
    }

    [Fact]
    public async Task Deleting_a_configuration_clears_the_full_sync_checkpoint_of_each_of_its_targets()
    {
        var source = new TestEntitySource([.. Enumerable.Range(1, 5).Select(i => EntityChange.Upsert(Categories, $"c-{i}", i, i))]);
        await using var sut = await CreateAsync(b => b.ReadFrom(source));
        await sut.Sync.StartFullSyncAsync(Categories, None);
        await sut.DrainAsync();
        foreach (var target in sut.Targets)
        {
            Assert.NotNull(await sut.Store.GetCheckpointAsync($"entity-sync:{Categories}:{target.Name}:full-sync", None));
        }

        Assert.True(await sut.Sync.DeleteConfigurationAsync(Categories, None));

        foreach (var target in sut.Targets)
        {
            Assert.Null(await sut.Store.GetCheckpointAsync($"entity-sync:{Categories}:{target.Name}:full-sync", None));
        }
    }

    [Fact]
    public async Task Full_sync_whose_source_fails_ends_with_the_error_and_keeps_what_it_delivered()
    {
        var source = new TestEntitySource(EntityChange.Upsert(Categories, "c-1", "one", 1), EntityChange.Upsert(Categories, "c-2", "two", 2))
        {
            AfterEach = i => i == 0 ? throw new TimeoutException("catalog database timed out") : Task.CompletedTask,
        };
        await using var sut = await CreateAsync(b => b.ReadFrom(source));

        await sut.Sync.StartFullSyncAsync(Categories, None);
        await sut.DrainAsync();

        Assert.All(sut.Targets, t => Assert.Equal(["c-1"], t.Log.Select(c => c.Id)));
        Assert.All(sut.Sync.GetStatus(Categories), s =>
        {
            Assert.False(s.FullSyncRunning);
            Assert.Equal("Full sync failed: TimeoutException: catalog database timed out", s.LastError);
        });

        // A target that throws is a transient failure of its batch, not the end of its delivery.
        await using var throwing = await CreateAsync(b => b.RetryWithin(maxRetries: 0, window: TimeSpan.FromSeconds(1)));
        throwing.Erp.BeforeDeliver = _ => throw new HttpRequestException("connection reset");
        await throwing.UpsertAsync("c-1", 1);
        await throwing.DrainAsync();
        Assert.Contains("HttpRequestException: connection reset", throwing.Status("erp").LastError, StringComparison.Ordinal);

        throwing.Erp.BeforeDeliver = null;
        await throwing.UpsertAsync("c-2", 2);
        throwing.Time.Advance(TimeSpan.FromMinutes(1));  // the skipped change is due again after RetrySkippedAfter
        await throwing.DrainAsync();
        Assert.Equal(["c-1", "c-2"], throwing.Erp.Log.Select(c => c.Id).Order());
    }

    [Fact]
    public async Task Full_sync_is_running_until_what_it_read_is_delivered()
    {
        var source = new TestEntitySource(EntityChange.Upsert(Categories, "c-1", "one", 1), EntityChange.Upsert(Categories, "c-2", "two", 1));
        await using var sut = await CreateAsync(b => b.ReadFrom(source));
        var delivering = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        sut.Erp.BeforeDeliver = async ct =>
        {
            delivering.TrySetResult();
            await release.Task.WaitAsync(ct);
        };

        await sut.Sync.StartFullSyncAsync(Categories, None);
        await delivering.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(sut.Status("erp").FullSyncRunning);

        release.SetResult();
        await sut.DrainAsync();
        Assert.All(sut.Sync.GetStatus(Categories), s => Assert.False(s.FullSyncRunning));
        Assert.Equal(["c-1", "c-2"], sut.Erp.Log.Select(c => c.Id).Order());
    }

    [Fact]
    public async Task Full_sync_of_a_paused_type_waits_for_resume()
    {
        var source = new TestEntitySource(EntityChange.Upsert(Categories, "c-1", "one", 1));
        await using var sut = await CreateAsync(b => b.ReadFrom(source).Paused());

        await sut.Sync.StartFullSyncAsync(Categories, None);
        await sut.DrainAsync();
        Assert.All(sut.Targets, t => Assert.Empty(t.Log));
        Assert.All(sut.Sync.GetStatus(Categories), s => Assert.True(s.FullSyncRunning));

        await sut.Sync.ResumeAsync(Categories, None);
        await sut.DrainAsync();
        Assert.All(sut.Targets, t => Assert.Single(t.Log));
    }

    [Fact]
    public async Task Status_reports_delivery_per_target()
    {
        await using var sut = await CreateAsync();
        sut.Time.Advance(TimeSpan.FromMinutes(3));

        await sut.UpsertAsync("c-1", 10);
        await sut.UpsertAsync("c-2", 4);
        await sut.DrainAsync();

        var statuses = sut.Sync.GetStatus(Categories);
        Assert.Equal(["search", "erp"], statuses.Select(s => s.TargetName));
        Assert.All(statuses, s =>
        {
            Assert.Equal(("categories", 10L, 2L, 0L), (s.EntityType, s.LastDeliveredVersion, s.DeliveredCount, s.PendingCount));
            Assert.Equal(Start.AddMinutes(3), s.LastDeliveredAt);
            Assert.Null(s.PausedSince);
            Assert.Null(s.LastError);
        });
    }
}
