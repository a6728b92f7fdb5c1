using Commerce.Jobs.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>
/// Run history is written in groups: runs added at once share one transaction (one sync to disk); a caller is answered only
/// once its run is committed; when a group fails each of its writes is tried alone once, so one write that cannot be
/// committed fails only itself; a purge commits alone; closing the store commits what is queued.
/// </summary>
public sealed class SqliteHistoryWriterTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Runs_added_while_a_commit_waits_share_the_next_transaction()
    {
        await using var store = _database.Open();
        await store.AddRunAsync(Run("order-submit", T0, JobOutcome.Succeeded), default);
        using var other = OpenOther();
        Checkpoint(other);

        // Another connection holds the write lock: the store's writer waits on it (busy timeout) while 100 runs queue.
        using (var lockHolder = other.BeginTransaction(deferred: false))
        {
            var adds = AddAll(store, [.. Enumerable.Range(0, 100).Select(i => Run("order-submit", T0.AddSeconds(i), JobOutcome.Succeeded))], out var queued);
            await queued.WaitAsync(Patience);
            Assert.DoesNotContain(adds, a => a.IsCompleted);
            lockHolder.Commit();
            await Task.WhenAll(adds).WaitAsync(Patience);
        }

        Assert.Equal(101, (await store.GetRunsAsync("order-submit", 1_000, default)).Count);

        // One commit per run appends at least one frame to the write-ahead log each (100 or more); two groups append a few.
        var frames = WalFrames(other);
        Assert.True(frames < 50, $"{frames} WAL frames for 100 runs: they were not committed together.");
    }

    [Fact]
    public async Task A_failed_commit_fails_every_run_of_its_group_and_the_next_group_is_written()
    {
        await using var store = _database.Open(o => o.BusyTimeout = TimeSpan.FromMilliseconds(1));
        using var other = OpenOther();
        var runs = Enumerable.Range(0, 50).Select(i => Run("order-submit", T0.AddSeconds(i), JobOutcome.Succeeded)).ToArray();
        Task[] adds;
        using (var lockHolder = other.BeginTransaction(deferred: false))
        {
            adds = [.. runs.Select(run => store.AddRunAsync(run, default).AsTask())];
            var failures = await Task.WhenAll(adds.Select(a => Assert.ThrowsAsync<SqliteException>(() => a))).WaitAsync(Patience);
            Assert.All(failures, f => Assert.Equal(SQLitePCL.raw.SQLITE_BUSY, f.SqliteErrorCode));
            lockHolder.Commit();
        }

        // None of them is in the history (a caller that was not answered may miss its run, never one that was).
        Assert.Empty(await store.GetRunsAsync("order-submit", 1_000, default));

        var next = Run("order-submit", T0.AddHours(1), JobOutcome.Failed);
        await store.AddRunAsync(next, default).AsTask().WaitAsync(Patience);
        Assert.Equal(next.RunId, Assert.Single(await store.GetRunsAsync("order-submit", 1_000, default)).RunId);
    }

    [Fact]
    public async Task A_failing_purge_fails_only_its_caller_and_the_runs_of_its_group_are_stored()
    {
        await using var store = _database.Open();
        await store.AddRunAsync(Run("catalog-export", T0, JobOutcome.Succeeded), default);
        using var other = OpenOther();

        // A real failure of the purge's DELETE (as a command timeout or a deadlock would be), on one job only.
        Execute(other, "CREATE TRIGGER fail_purge BEFORE DELETE ON runs WHEN OLD.job_name = 'catalog-export' BEGIN SELECT RAISE(ABORT, 'purge failed'); END;");
        var runs = Enumerable.Range(0, 40).Select(i => Run("order-submit", T0.AddSeconds(i), JobOutcome.Succeeded)).ToArray();
        Task[] adds;
        Task<int> purge;
        using (var lockHolder = other.BeginTransaction(deferred: false))
        {
            // The runs and the purge queue together while another connection holds the write lock.
            adds = AddAll(store, runs[..20], out var queuedBefore);
            await queuedBefore.WaitAsync(Patience);
            purge = store.PurgeRunsAsync("catalog-export", 0, T0.AddDays(1), default).AsTask();
            adds = [.. adds, .. AddAll(store, runs[20..], out var queuedAfter)];
            await queuedAfter.WaitAsync(Patience);
            lockHolder.Commit();
        }

        await Task.WhenAll(adds).WaitAsync(Patience);
        Assert.Contains("purge failed", (await Assert.ThrowsAsync<SqliteException>(() => purge).WaitAsync(Patience)).Message, StringComparison.Ordinal);
        Assert.Equal(runs.Select(r => r.RunId).Reverse(), (await store.GetRunsAsync("order-submit", 1_000, default)).Select(r => r.RunId));
        Assert.Single(await store.GetRunsAsync("catalog-export", 1_000, default));
    }

    [Fact]
    public async Task A_run_that_cannot_be_committed_fails_only_its_caller()
    {
        await using var store = _database.Open();
        using var other = OpenOther();
        var runs = Enumerable.Range(0, 60).Select(i => Run("order-submit", T0.AddSeconds(i), JobOutcome.Succeeded)).ToArray();
        var poisoned = runs[30];
        Execute(other, $"CREATE TRIGGER poison BEFORE INSERT ON runs WHEN NEW.run_id = '{poisoned.RunId:D}' BEGIN SELECT RAISE(ABORT, 'poisoned run'); END;");
        Task[] adds;
        using (var lockHolder = other.BeginTransaction(deferred: false))
        {
            adds = AddAll(store, runs, out var queued);
            await queued.WaitAsync(Patience);
            lockHolder.Commit();
        }

        var failure = await Assert.ThrowsAsync<SqliteException>(() => adds[30]).WaitAsync(Patience);
        Assert.Contains("poisoned run", failure.Message, StringComparison.Ordinal);
        await Task.WhenAll(adds.Where((_, i) => i != 30)).WaitAsync(Patience);
        Assert.Equal(runs.Where(r => r != poisoned).Select(r => r.RunId).Reverse(), (await store.GetRunsAsync("order-submit", 1_000, default)).Select(r => r.RunId));
    }

    [Fact]
    public async Task Closing_the_store_commits_the_runs_queued_before()
    {
        var runs = Enumerable.Range(0, 300).Select(i => Run("order-submit", T0.AddSeconds(i), JobOutcome.Succeeded)).ToArray();
        Task[] adds;
        var store = _database.Open();
        using (var other = OpenOther())
        {
            // Held by another connection while the runs queue and the store closes: they are all queued when it does.
            using var lockHolder = other.BeginTransaction(deferred: false);
            adds = AddAll(store, runs, out var queued);
            await queued.WaitAsync(Patience);
            var closing = store.DisposeAsync().AsTask();
            Assert.False(closing.IsCompleted);
            lockHolder.Commit();
            await closing.WaitAsync(Patience);
        }

        await Task.WhenAll(adds).WaitAsync(Patience);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.AddRunAsync(runs[0], default).AsTask());
        await using var reopened = _database.Open();
        Assert.Equal(runs.Select(r => r.RunId).Reverse(), (await reopened.GetRunsAsync("order-submit", 1_000, default)).Select(r => r.RunId));
    }

    [Fact]
    public async Task The_writer_groups_what_waits_and_answers_each_write_after_its_commit()
    {
        var commits = new List<int>();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var writer = new GroupWriter<Write>("test writer", async group =>
        {
            first.TrySetResult();
            await release.Task;
            commits.Add(group.Count);
            foreach (var write in group)
            {
                write.Result = write.Value;
            }
        });

        var one = writer.WriteAsync(new Write(1), default);
        await first.Task.WaitAsync(Patience);
        var more = Enumerable.Range(2, 40).Select(i => writer.WriteAsync(new Write(i), default)).ToArray();
        Assert.False(one.IsCompleted);
        Assert.DoesNotContain(more, m => m.IsCompleted);

        release.SetResult();
        Assert.Equal(1, await one.WaitAsync(Patience));
        Assert.Equal(Enumerable.Range(2, 40), await Task.WhenAll(more).WaitAsync(Patience));
        Assert.Equal([1, 40], commits);
    }

    [Fact]
    public async Task A_full_queue_makes_writers_wait_and_drops_nothing()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var committed = new List<int>();
        await using var writer = new GroupWriter<Write>("test writer", async group =>
        {
            await release.Task;
            committed.AddRange(group.Select(w => w.Value));
        }, capacity: 4, maxGroup: 3);

        var writes = Enumerable.Range(0, 20).Select(i => writer.WriteAsync(new Write(i), default)).ToArray();
        using var cancel = new CancellationTokenSource();
        var cancelled = writer.WriteAsync(new Write(99), cancel.Token);
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled).WaitAsync(Patience);

        release.SetResult();
        await Task.WhenAll(writes).WaitAsync(Patience);
        Assert.Equal(Enumerable.Range(0, 20), committed.Order());
        Assert.DoesNotContain(99, committed);
    }

    [Fact]
    public async Task A_write_that_cannot_be_committed_fails_only_itself()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var commits = new List<int[]>();
        await using var writer = new GroupWriter<Write>("test writer", async group =>
        {
            started.TrySetResult();
            await release.Task;
            commits.Add([.. group.Select(w => w.Value)]);
            if (group.Any(w => w.Value < 0))
            {
                throw new InvalidOperationException("disk full");
            }

            foreach (var write in group)
            {
                write.Result = write.Value;
            }
        });

        var blocker = writer.WriteAsync(new Write(0), default);
        await started.Task.WaitAsync(Patience);
        var good = new[] { writer.WriteAsync(new Write(1), default), writer.WriteAsync(new Write(2), default) };
        var poisoned = writer.WriteAsync(new Write(-1), default);
        var after = writer.WriteAsync(new Write(3), default);
        release.SetResult();
        await blocker.WaitAsync(Patience);

        // The group of four fails; each of its writes is then committed alone once: only the poisoned one fails.
        var answers = await Task.WhenAll(good).WaitAsync(Patience);
        Assert.Equal([1, 2], answers);
        Assert.Equal(3, await after.WaitAsync(Patience));
        Assert.Equal("disk full", (await Assert.ThrowsAsync<InvalidOperationException>(() => poisoned).WaitAsync(Patience)).Message);
        Assert.Equal<int[]>([[0], [1, 2, -1, 3], [1], [2], [-1], [3]], commits);
    }

    [Fact]
    public async Task When_two_writes_in_a_row_fail_alone_the_rest_of_the_group_fails_without_a_commit_each()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var commits = new List<int[]>();
        await using var writer = new GroupWriter<Write>("test writer", async group =>
        {
            started.TrySetResult();
            await release.Task;
            commits.Add([.. group.Select(w => w.Value)]);
            if (group.Any(w => w.Value > 0))
            {
                throw new TimeoutException("database is locked");
            }
        });

        var blocker = writer.WriteAsync(new Write(0), default);
        await started.Task.WaitAsync(Patience);
        var writes = Enumerable.Range(1, 10).Select(i => writer.WriteAsync(new Write(i), default)).ToArray();
        release.SetResult();

        await blocker.WaitAsync(Patience);
        foreach (var write in writes)
        {
            Assert.Equal("database is locked", (await Assert.ThrowsAsync<TimeoutException>(() => write).WaitAsync(Patience)).Message);
        }

        Assert.Equal<int[]>([[0], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [1], [2]], commits);
    }

    [Fact]
    public async Task A_write_that_commits_alone_is_committed_after_its_group_and_its_failure_fails_no_other()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var commits = new List<int[]>();
        await using var writer = new GroupWriter<Write>("test writer", async group =>
        {
            started.TrySetResult();
            await release.Task;
            commits.Add([.. group.Select(w => w.Value)]);
            if (group.Any(w => w.CommitsAlone))
            {
                throw new TimeoutException("purge timed out");
            }
        });

        var blocker = writer.WriteAsync(new Write(0), default);
        await started.Task.WaitAsync(Patience);
        var first = writer.WriteAsync(new Write(1), default);
        var purge = writer.WriteAsync(new Write(10, alone: true), default);
        var second = writer.WriteAsync(new Write(2), default);
        release.SetResult();

        await Task.WhenAll(blocker, first, second).WaitAsync(Patience);
        await Assert.ThrowsAsync<TimeoutException>(() => purge).WaitAsync(Patience);
        Assert.Equal<int[]>([[0], [1, 2], [10]], commits);
    }

    [Fact]
    public async Task Disposing_fails_what_is_still_queued_after_the_drain_timeout()
    {
        var time = new FakeTimeProvider();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new GroupWriter<Write>("test writer", async group =>
        {
            started.TrySetResult();
            await release.Task;
        }, maxGroup: 1, drainTimeout: TimeSpan.FromSeconds(5), time: time);

        var stuck = writer.WriteAsync(new Write(1), default);
        await started.Task.WaitAsync(Patience);
        var queued = writer.WriteAsync(new Write(2), default);
        var disposing = writer.DisposeAsync().AsTask();
        Assert.False(disposing.IsCompleted);

        time.Advance(TimeSpan.FromSeconds(5));
        await disposing.WaitAsync(Patience);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => queued).WaitAsync(Patience);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => writer.WriteAsync(new Write(3), default)).WaitAsync(Patience);

        // The commit under way when the time ran out still answers its caller.
        release.SetResult();
        await stuck.WaitAsync(Patience);
    }

    /// <summary>
    /// Adds the runs from other threads, in order, without waiting for them; <paramref name="queued"/> completes once every
    /// call has returned its task (a store that writes on the caller's thread while another connection holds the lock never
    /// gets there).
    /// </summary>
    private static Task[] AddAll(SqliteJobStore store, JobRun[] runs, out Task queued)
    {
        var calls = Task.Run(() => runs.Select(run => store.AddRunAsync(run, default).AsTask()).ToArray());
        queued = calls;
        return [.. runs.Select((_, i) => (Task)AddAt(calls, i))];

        static async Task AddAt(Task<Task[]> calls, int index) => await (await calls)[index];
    }

    private SqliteConnection OpenOther()
    {
        var connection = new SqliteConnection($"Data Source={_database.Path};Pooling=False");
        connection.Open();
        return connection;
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Empties the write-ahead log into the database file.</summary>
    private static void Checkpoint(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        Assert.Equal(0, reader.GetInt32(0));
    }

    /// <summary>The frames in the write-ahead log now.</summary>
    private static int WalFrames(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return reader.GetInt32(1);
    }

    private sealed class Write(int value, bool alone = false) : GroupedWrite
    {
        public int Value { get; } = value;

        public override bool CommitsAlone => alone;
    }
}
