using Commerce.Jobs.Storage;
using static Commerce.Jobs.Tests.EntitySync.EntitySyncSut;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>
/// A type deleted, or a target removed, while its lane is still delivering or reading a full sync: what the retired lane
/// does after the store was cleared (a late completion, a full-sync page) puts nothing back. The target and the source
/// ignore the cancellation and block until the test releases them, so the order is the test's.
/// </summary>
public sealed class EntitySyncRetirementTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_delivery_that_ends_after_its_type_was_deleted_leaves_nothing_in_the_store()
    {
        var search = new RecordingTarget("search");
        await using var sut = await CreateAsync(targets: [search]);
        var (entered, release) = Block(search);
        await sut.UpsertAsync("c-1", 1);
        await entered.WaitAsync(Patience);
        await sut.UpsertAsync("c-2", 2);

        Assert.True(await sut.Sync.DeleteConfigurationAsync(Categories, None));
        release.SetResult();
        await sut.DrainAsync().WaitAsync(Patience);

        Assert.Equal(["c-1"], search.Log.Select(c => c.Id));
        await AssertNothingHeldAsync(sut.Store, "search");
    }

    [Fact]
    public async Task A_delivery_that_ends_after_its_target_was_removed_leaves_nothing_for_that_target()
    {
        await using var sut = await CreateAsync();
        var configuration = (await sut.Sync.GetConfigurationAsync(Categories, None))!;
        var (entered, release) = Block(sut.Erp);
        await sut.UpsertAsync("c-1", 1);
        await entered.WaitAsync(Patience);

        await sut.Sync.PutConfigurationAsync(configuration with { Targets = ["search"] }, None);
        release.SetResult();
        await sut.DrainAsync().WaitAsync(Patience);

        await AssertNothingHeldAsync(sut.Store, "erp");
        Assert.Equal(1, (await sut.Store.GetEntitySyncCountsAsync(Categories, "search", None)).Delivered);

        // Added back, the target starts from a clean state: an older version than the one it had is delivered.
        await sut.Sync.PutConfigurationAsync(configuration, None);
        Assert.True(await sut.UpsertAsync("c-1", 1));
        await sut.DrainAsync().WaitAsync(Patience);
        Assert.Equal(2, sut.Erp.Log.Count);
    }

    [Fact]
    public async Task A_completion_being_written_when_its_type_is_deleted_is_waited_for_before_the_store_is_cleared()
    {
        var (store, faults) = FaultyStore.Create(CreateStore());
        var search = new RecordingTarget("search");
        await using var sut = await CreateAsync(store: store, targets: [search]);
        var (entered, release) = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        faults.Hold(nameof(IJobStore.CompleteEntityChangesAsync), release.Task, entered);
        await sut.UpsertAsync("c-1", 1);
        await entered.Task.WaitAsync(Patience);

        var delete = sut.Sync.DeleteConfigurationAsync(Categories, None).AsTask();
        release.SetResult();
        Assert.True(await delete.WaitAsync(Patience));
        await sut.DrainAsync().WaitAsync(Patience);

        await AssertNothingHeldAsync(sut.Store, "search");
    }

    [Fact]
    public async Task A_full_sync_page_read_after_its_type_was_deleted_is_not_added_to_the_store()
    {
        var source = new TestEntitySource(EntityChange.Upsert(Categories, "c-1", "one", 1), EntityChange.Upsert(Categories, "c-2", "two", 2));
        var (entered, release) = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        source.AfterEach = async _ =>
        {
            entered.TrySetResult();
            await release.Task;
        };
        var search = new RecordingTarget("search");
        await using var sut = await CreateAsync(b => b.ReadFrom(source), targets: [search]);

        await sut.Sync.StartFullSyncAsync(Categories, None);
        await entered.Task.WaitAsync(Patience);
        Assert.True(await sut.Sync.DeleteConfigurationAsync(Categories, None));
        release.SetResult();
        await sut.DrainAsync().WaitAsync(Patience);

        await AssertNothingHeldAsync(sut.Store, "search");
        Assert.Empty(search.Log);
    }

    [Fact]
    public async Task Status_right_after_start_shows_the_changes_a_previous_host_left_held()
    {
        var shared = CreateStore();
        await using (var first = await CreateAsync(b => b.Paused(), store: shared))
        {
            await first.UpsertAsync("c-1", 1);
            await first.UpsertAsync("c-2", 2);
        }

        // The store's counts are held: start returns only once it has read them.
        var (store, faults) = FaultyStore.Create(shared);
        var (entered, release) = (new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        faults.Hold(nameof(IJobStore.GetEntitySyncCountsAsync), release.Task, entered);
        await using var second = await CreateAsync(b => b.Paused(), store: store, start: false);
        var starting = second.Sync.StartAsync(None);
        try
        {
            await entered.Task.WaitAsync(Patience);
            Assert.False(starting.IsCompleted, "start returned before it read the counts");
        }
        finally
        {
            release.SetResult();
        }

        await starting.WaitAsync(Patience);

        Assert.All(second.Targets, t => Assert.Equal(2, second.Status(t.Name).PendingCount));
    }

    [Fact]
    public async Task Start_with_a_failing_store_logs_the_failure_and_delivers_once_it_works()
    {
        var (store, faults) = FaultyStore.Create(CreateStore());
        faults.FailNext(nameof(IJobStore.GetEntitySyncCountsAsync), times: 2);
        await using var sut = await CreateAsync(store: store);

        Assert.Contains(sut.Targets, t => sut.Status(t.Name).LastError?.Contains("injected", StringComparison.Ordinal) == true);
        await sut.UpsertAsync("c-1", 1);
        await sut.DrainAsync().WaitAsync(Patience);
        Assert.All(sut.Targets, t => Assert.Single(t.Log));
    }

    /// <summary>Makes the target's deliveries wait, ignoring their cancellation, until the returned source is completed.</summary>
    private static (Task Entered, TaskCompletionSource Release) Block(RecordingTarget target)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        target.BeforeDeliver = async _ =>
        {
            entered.TrySetResult();
            await release.Task;
        };
        return (entered.Task, release);
    }

    private static async Task AssertNothingHeldAsync(IJobStore store, string target)
    {
        var counts = await store.GetEntitySyncCountsAsync(Categories, target, None);
        Assert.Equal(new EntitySyncCounts(0, 0, 0, 0, null, null, null, null), counts);
        Assert.Empty(await HeldAsync(store, Categories, target));
        Assert.Empty(await store.GetDeliveredEntityVersionsAsync(Categories, target, None));
    }
}
