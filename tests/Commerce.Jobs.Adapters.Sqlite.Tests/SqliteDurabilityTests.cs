using System.Text;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>What a store holds survives closing and re-opening the file; leases of a previous process are released on open.</summary>
public sealed class SqliteDurabilityTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task Runs_inbox_occurrences_checkpoints_and_failures_survive_a_reopen()
    {
        long sequence;
        using (var store = _database.Open())
        {
            await store.AddRunAsync(Run("order-submit", T0.AddTicks(1234567)), default);
            await store.EnqueueRecordsAsync("order-submit", [Pending("SO1"), Pending("SO2"), Pending("SO3")], default);
            var claimed = await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-a", 2, T0, T0.AddMinutes(5)), default);
            sequence = claimed[0].Sequence;
            await store.CompleteRecordsAsync("order-submit", "host-a", [new RecordCompletion(claimed[0].Sequence, RecordStatus.Skipped, "ERP busy"), new RecordCompletion(claimed[1].Sequence, RecordStatus.Delivered)], default);
            await store.AddRecordFailuresAsync("order-submit", [new RecordFailure("SO1", RecordStatus.Skipped, "ERP busy", 0, T0)], default);
            Assert.True(await store.TryClaimOccurrenceAsync("nightly", T0, "host-a", default));
            await store.SetCheckpointAsync("order-export", "2026-11-23T08:00:00Z", default);
        }

        using (var store = _database.Open())
        {
            var run = Assert.Single(await store.GetRunsAsync("order-submit", 10, default));
            Assert.Equal(T0.AddTicks(1234567), run.StartedAt);
            Assert.Equal([new JobLogEntry(T0, JobLogLevel.Error, "Record SO1 skipped: \"ERP\" busy\n")], run.Log);
            Assert.Equal(new RecordCounts(3, 1, 1, 1), run.Counts);

            Assert.Equal(2, await store.CountPendingRecordsAsync("order-submit", default));
            var pending = await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-b", 10, T0, T0.AddMinutes(5)), default);
            Assert.Equal(["SO1", "SO3"], pending.Select(p => p.RecordId));
            Assert.Equal((sequence, 1, "ERP busy"), (pending[0].Sequence, pending[0].Attempts, pending[0].LastError));
            Assert.Equal("{\"id\":\"SO3\"}", Encoding.UTF8.GetString(pending[1].Payload));

            // A new record gets a sequence after every earlier one, even after the last ones were delivered.
            await store.EnqueueRecordsAsync("order-submit", [Pending("SO4")], default);
            var next = Assert.Single(await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-b", 10, T0, T0.AddMinutes(5)), default));
            Assert.True(next.Sequence > pending[1].Sequence);

            Assert.Equal(1, Assert.Single(await store.ReadAllRecordFailuresAsync("order-submit")).Attempts);
            Assert.False(await store.TryClaimOccurrenceAsync("nightly", T0, "host-b", default));
            Assert.True(await store.TryClaimOccurrenceAsync("nightly", T0.AddDays(1), "host-b", default));
            Assert.Equal("2026-11-23T08:00:00Z", await store.GetCheckpointAsync("order-export", default));
        }
    }

    [Fact]
    public async Task Opening_releases_the_leases_a_crashed_process_left()
    {
        using (var crashed = _database.Open())
        {
            await crashed.EnqueueRecordsAsync("order-submit", [Pending("SO1"), Pending("SO2")], default);
            Assert.Equal(2, (await crashed.ClaimRecordsAsync("order-submit", new RecordClaim("dead-process", 10, T0, T0.AddMinutes(5)), default)).Count);
        }

        using var store = _database.Open();
        var taken = await store.ClaimRecordsAsync("order-submit", new RecordClaim("new-process", 10, T0, T0.AddMinutes(5)), default);
        Assert.Equal(["SO1", "SO2"], taken.Select(r => r.RecordId));
        Assert.Equal(0, await store.RenewLeasesAsync("order-submit", "dead-process", T0.AddMinutes(9), default));
    }

    [Fact]
    public async Task With_ReleaseLeasesOnOpen_off_leases_hold_until_they_expire()
    {
        using (var other = _database.Open())
        {
            await other.EnqueueRecordsAsync("order-submit", [Pending("SO1")], default);
            Assert.Single(await other.ClaimRecordsAsync("order-submit", new RecordClaim("other-process", 10, T0, T0.AddMinutes(5)), default));
        }

        using var store = _database.Open(o => o.ReleaseLeasesOnOpen = false);
        Assert.Empty(await store.ClaimRecordsAsync("order-submit", new RecordClaim("new-process", 10, T0.AddMinutes(4), T0.AddMinutes(9)), default));
        Assert.Single(await store.ClaimRecordsAsync("order-submit", new RecordClaim("new-process", 10, T0.AddMinutes(5), T0.AddMinutes(9)), default));
    }

    [Fact]
    public async Task Writes_that_accept_work_are_synced_and_progress_is_synced_with_the_next_one()
    {
        using var store = _database.Open();
        Assert.Equal(2, await store.GetSynchronousAsync(default)); // FULL

        await store.EnqueueRecordsAsync("order-submit", [Pending("SO1")], default);
        Assert.Equal(2, await store.GetSynchronousAsync(default));

        var claimed = await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-a", 10, T0, T0.AddMinutes(5)), default);
        Assert.Equal(1, await store.GetSynchronousAsync(default)); // NORMAL: a lost claim is claimed again
        await store.CompleteRecordsAsync("order-submit", "host-a", [new RecordCompletion(claimed[0].Sequence, RecordStatus.Delivered)], default);
        Assert.Equal(1, await store.GetSynchronousAsync(default)); // a lost completion is delivered again, same key
        Assert.Equal(0, await store.CountPendingRecordsAsync("order-submit", default));
        Assert.Equal(1, await store.GetSynchronousAsync(default)); // reads leave it alone

        await store.SetCheckpointAsync("order-submit", "x", default);
        Assert.Equal(2, await store.GetSynchronousAsync(default));
    }

    [Fact]
    public async Task A_disposed_store_refuses_calls()
    {
        var store = _database.Open();
        await store.DisposeAsync();
        store.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.CountPendingRecordsAsync("a", default).AsTask());
    }

    public void Dispose() => _database.Dispose();

    private static PendingRecord Pending(string id) => new(id, $"order-submit:{id}", Encoding.UTF8.GetBytes($"{{\"id\":\"{id}\"}}"));

    private static JobRun Run(string job, DateTimeOffset start) => new()
    {
        RunId = Guid.CreateVersion7(start),
        JobName = job,
        Trigger = TriggerKind.Schedule,
        HostName = "web-01",
        StartedAt = start,
        EndedAt = start.AddSeconds(2),
        Outcome = JobOutcome.PartiallySucceeded,
        Counts = new RecordCounts(3, 1, 1, 1),
        Error = "1 record skipped",
        Log = [new JobLogEntry(T0, JobLogLevel.Error, "Record SO1 skipped: \"ERP\" busy\n")],
    };
}
