using System.Text;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The job store contract: one suite every <see cref="IJobStore"/> passes unchanged (in-memory, SQLite, PostgreSQL).
/// A subclass says how to make a fresh, empty store; everything a store does is checked here, for all of them.
/// </summary>
public abstract partial class JobStoreContractTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Makes a fresh, empty store (a new database or schema per call).</summary>
    protected abstract Task<IJobStore> CreateStoreAsync();

    [Fact]
    public async Task Runs_are_returned_newest_first_with_counts_and_log()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < 5; i++)
        {
            await store.AddRunAsync(Run("order-submit", T0.AddMinutes(i), i % 2 == 0 ? JobOutcome.Succeeded : JobOutcome.Failed), default);
        }

        await store.AddRunAsync(Run("other", T0, JobOutcome.Succeeded), default);

        var runs = await store.GetRunsAsync("order-submit", 3, default);
        Assert.Equal([T0.AddMinutes(4), T0.AddMinutes(3), T0.AddMinutes(2)], runs.Select(r => r.StartedAt));
        var run = runs[1];
        Assert.Equal(JobOutcome.Failed, run.Outcome);
        Assert.Equal(TriggerKind.Automatic, run.Trigger);
        Assert.Equal(new RecordCounts(10, 7, 2, 1), run.Counts);
        Assert.Equal("ERP busy", run.Error);
        Assert.Equal("web-01", run.HostName);
        Assert.Equal(T0.AddMinutes(3).AddSeconds(2), run.EndedAt);
        Assert.Equal([new JobLogEntry(T0.AddMinutes(3), JobLogLevel.Warning, "Record SO1 skipped: ERP busy")], run.Log);
        Assert.Empty(await store.GetRunsAsync("nobody", 10, default));
    }

    [Fact]
    public async Task Purge_keeps_the_last_runs_and_drops_old_ones()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < 10; i++)
        {
            await store.AddRunAsync(Run("tick", T0.AddDays(i), JobOutcome.Succeeded), default);
        }

        Assert.Equal(4, await store.PurgeRunsAsync("tick", keepLast: 6, endedBefore: T0.AddDays(-1), default));
        Assert.Equal(2, await store.PurgeRunsAsync("tick", keepLast: 6, endedBefore: T0.AddDays(6), default));
        Assert.Equal([T0.AddDays(9), T0.AddDays(8), T0.AddDays(7), T0.AddDays(6)], (await store.GetRunsAsync("tick", 100, default)).Select(r => r.StartedAt));
    }

    [Fact]
    public async Task Record_failures_count_attempts_keep_the_last_error_and_are_forgotten_when_delivered()
    {
        var store = await CreateStoreAsync();
        await store.AddRecordFailuresAsync("order-submit", [new RecordFailure("SO1", RecordStatus.Skipped, "timeout", 0, T0), new RecordFailure("SO2", RecordStatus.PermanentFailure, "bad sku", 0, T0)], default);
        await store.AddRecordFailuresAsync("order-submit", [new RecordFailure("SO1", RecordStatus.Skipped, "503", 0, T0.AddMinutes(1))], default);

        var failures = (await store.GetRecordFailuresAsync("order-submit", default)).OrderBy(f => f.RecordId).ToList();
        Assert.Equal(new RecordFailure("SO1", RecordStatus.Skipped, "503", 2, T0.AddMinutes(1)), failures[0]);
        Assert.Equal(new RecordFailure("SO2", RecordStatus.PermanentFailure, "bad sku", 1, T0), failures[1]);

        await store.RemoveRecordFailuresAsync("order-submit", ["SO1", "SO9"], default);
        Assert.Equal(["SO2"], (await store.GetRecordFailuresAsync("order-submit", default)).Select(f => f.RecordId));
        Assert.Empty(await store.GetRecordFailuresAsync("other", default));
    }

    [Fact]
    public async Task Inbox_claims_in_order_under_a_lease_and_settles_outcomes()
    {
        var store = await CreateStoreAsync();
        await store.EnqueueRecordsAsync("order-submit", [.. Enumerable.Range(1, 5).Select(i => Pending($"SO{i}"))], default);
        Assert.Equal(5, await store.CountPendingRecordsAsync("order-submit", default));

        var first = await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-a", 3, T0, T0.AddMinutes(5)), default);
        Assert.Equal(["SO1", "SO2", "SO3"], first.Select(r => r.RecordId));
        Assert.True(first.Zip(first.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
        Assert.Equal("order-submit:SO1", first[0].IdempotencyKey);
        Assert.Equal("{\"id\":\"SO1\"}", Encoding.UTF8.GetString(first[0].Payload));

        // Another owner sees only what is not leased.
        var second = await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-b", 10, T0, T0.AddMinutes(5)), default);
        Assert.Equal(["SO4", "SO5"], second.Select(r => r.RecordId));

        await store.CompleteRecordsAsync("order-submit", "host-a",
        [
            new RecordCompletion(first[0].Sequence, RecordStatus.Delivered),
            new RecordCompletion(first[1].Sequence, RecordStatus.Skipped, "ERP busy"),
            new RecordCompletion(first[2].Sequence, RecordStatus.PermanentFailure, "bad sku"),
        ], default);
        Assert.Equal(3, await store.CountPendingRecordsAsync("order-submit", default));

        // The skipped record is free again with its attempt and error; the failed one only for a resubmit.
        var again = await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-a", 10, T0, T0.AddMinutes(5)), default);
        var skipped = Assert.Single(again);
        Assert.Equal(("SO2", 1, "ERP busy"), (skipped.RecordId, skipped.Attempts, skipped.LastError));
        var resubmit = await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-a", 10, T0, T0.AddMinutes(5), IncludeFailed: true), default);
        var failed = Assert.Single(resubmit);
        Assert.Equal(("SO3", 1, "bad sku"), (failed.RecordId, failed.Attempts, failed.LastError));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_released_record_is_free_at_once_and_keeps_its_attempts_error_and_failed_state(bool hostileOwner)
    {
        // An owner is a host name: one a database cannot hold as it is must release what it claimed all the same.
        var owner = hostileOwner ? "host\0\uE000\uD800-a" : "host-a";
        var store = await CreateStoreAsync();
        await store.EnqueueRecordsAsync("order-submit", [Pending("SO1"), Pending("SO2"), Pending("SO3")], default);
        var first = await store.ClaimRecordsAsync("order-submit", new RecordClaim(owner, 2, T0, T0.AddMinutes(5)), default);
        await store.CompleteRecordsAsync("order-submit", owner,
        [
            new RecordCompletion(first[0].Sequence, RecordStatus.Skipped, "ERP busy"),
            new RecordCompletion(first[1].Sequence, RecordStatus.PermanentFailure, "bad sku"),
        ], default);

        // Claimed again (the failed one by a resubmit), then released untouched: a run that ended before attempting them.
        var claimed = await store.ClaimRecordsAsync("order-submit", new RecordClaim(owner, 3, T0, T0.AddMinutes(5), IncludeFailed: true), default);
        Assert.Equal(["SO1", "SO2", "SO3"], claimed.Select(r => r.RecordId));
        await store.CompleteRecordsAsync("order-submit", "host-b", [new RecordCompletion(claimed[2].Sequence, RecordStatus.TransientFailure)], default);
        Assert.Empty(await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-b", 10, T0, T0.AddMinutes(5), IncludeFailed: true), default));

        await store.CompleteRecordsAsync("order-submit", owner, [.. claimed.Select(r => new RecordCompletion(r.Sequence, RecordStatus.TransientFailure, "ignored"))], default);

        Assert.Equal(2, await store.CountPendingRecordsAsync("order-submit", default));
        var pending = await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-b", 10, T0, T0.AddMinutes(5)), default);
        Assert.Equal(new (string, int, string?)[] { ("SO1", 1, "ERP busy"), ("SO3", 0, null) }, pending.Select(r => (r.RecordId, r.Attempts, r.LastError)));
        var failed = Assert.Single(await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-b", 10, T0, T0.AddMinutes(5), IncludeFailed: true), default));
        Assert.Equal(("SO2", 1, "bad sku"), (failed.RecordId, failed.Attempts, failed.LastError));
    }

    [Fact]
    public async Task Inbox_reads_forward_past_a_sequence_and_counts_only_its_job()
    {
        var store = await CreateStoreAsync();
        await store.EnqueueRecordsAsync("a", [Pending("1"), Pending("2"), Pending("3")], default);
        await store.EnqueueRecordsAsync("b", [Pending("x")], default);

        var page = await store.ClaimRecordsAsync("a", new RecordClaim("h", 1, T0, T0.AddMinutes(1)), default);
        await store.CompleteRecordsAsync("a", "h", [new RecordCompletion(page[0].Sequence, RecordStatus.Skipped, "later")], default);
        var next = await store.ClaimRecordsAsync("a", new RecordClaim("h", 10, T0, T0.AddMinutes(1), AfterSequence: page[0].Sequence), default);

        Assert.Equal(["2", "3"], next.Select(r => r.RecordId));
        Assert.Equal(3, await store.CountPendingRecordsAsync("a", default));
        Assert.Equal(1, await store.CountPendingRecordsAsync("b", default));
        Assert.Empty(await store.ClaimRecordsAsync("none", new RecordClaim("h", 10, T0, T0.AddMinutes(1)), default));
    }

    [Fact]
    public async Task An_expired_lease_is_taken_over_and_a_renewed_one_is_not()
    {
        var store = await CreateStoreAsync();
        await store.EnqueueRecordsAsync("order-submit", [Pending("SO1"), Pending("SO2")], default);
        var claimed = await store.ClaimRecordsAsync("order-submit", new RecordClaim("dead-host", 2, T0, T0.AddMinutes(1)), default);
        Assert.Equal(2, claimed.Count);

        Assert.Empty(await store.ClaimRecordsAsync("order-submit", new RecordClaim("survivor", 10, T0.AddSeconds(59), T0.AddMinutes(2)), default));
        Assert.Equal(2, await store.RenewLeasesAsync("order-submit", "dead-host", T0.AddMinutes(3), default));
        Assert.Empty(await store.ClaimRecordsAsync("order-submit", new RecordClaim("survivor", 10, T0.AddMinutes(2), T0.AddMinutes(4)), default));

        var taken = await store.ClaimRecordsAsync("order-submit", new RecordClaim("survivor", 10, T0.AddMinutes(3).AddSeconds(1), T0.AddMinutes(5)), default);
        Assert.Equal(["SO1", "SO2"], taken.Select(r => r.RecordId));

        // The dead host's late skip no longer counts; its late delivery still removes the record (it was delivered).
        await store.CompleteRecordsAsync("order-submit", "dead-host", [new RecordCompletion(taken[0].Sequence, RecordStatus.Skipped, "late"), new RecordCompletion(taken[1].Sequence, RecordStatus.Delivered)], default);
        Assert.Equal(1, await store.CountPendingRecordsAsync("order-submit", default));
        Assert.Equal(0, await store.RenewLeasesAsync("order-submit", "dead-host", T0.AddMinutes(9), default));
    }

    [Fact]
    public async Task Concurrent_claims_never_hand_one_record_to_two_owners()
    {
        var store = await CreateStoreAsync();
        await store.EnqueueRecordsAsync("order-submit", [.. Enumerable.Range(0, 300).Select(i => Pending($"SO{i:D3}"))], default);

        var claims = await Task.WhenAll(Enumerable.Range(0, 6).Select(async owner =>
        {
            var mine = new List<string>();
            while (true)
            {
                var page = await store.ClaimRecordsAsync("order-submit", new RecordClaim($"host-{owner}", 7, T0, T0.AddMinutes(5)), default);
                if (page.Count == 0)
                {
                    return mine;
                }

                mine.AddRange(page.Select(p => p.RecordId));
            }
        }));

        var all = claims.SelectMany(c => c).ToList();
        Assert.Equal(300, all.Count);
        Assert.Equal(300, all.Distinct().Count());
    }

    [Fact]
    public async Task An_occurrence_is_claimed_once_and_only_forward()
    {
        var store = await CreateStoreAsync();

        Assert.True(await store.TryClaimOccurrenceAsync("nightly", T0, "host-a", default));
        Assert.False(await store.TryClaimOccurrenceAsync("nightly", T0, "host-b", default));
        Assert.False(await store.TryClaimOccurrenceAsync("nightly", T0.AddHours(-1), "host-b", default));
        Assert.True(await store.TryClaimOccurrenceAsync("other", T0, "host-b", default));
        Assert.True(await store.TryClaimOccurrenceAsync("nightly", T0.AddDays(1), "host-b", default));

        var wins = await Task.WhenAll(Enumerable.Range(0, 8).Select(h => store.TryClaimOccurrenceAsync("race", T0, $"host-{h}", default).AsTask()));
        Assert.Equal(1, wins.Count(w => w));
    }

    [Fact]
    public async Task Checkpoints_are_set_read_and_cleared()
    {
        var store = await CreateStoreAsync();
        Assert.Null(await store.GetCheckpointAsync("order-export", default));

        await store.SetCheckpointAsync("order-export", "2026-11-22T23:59:59Z", default);
        await store.SetCheckpointAsync("order-export", "2026-11-23T08:00:00Z", default);
        Assert.Equal("2026-11-23T08:00:00Z", await store.GetCheckpointAsync("order-export", default));

        await store.SetCheckpointAsync("order-export", null, default);
        Assert.Null(await store.GetCheckpointAsync("order-export", default));
    }

    private static PendingRecord Pending(string id) => new(id, $"order-submit:{id}", Encoding.UTF8.GetBytes($"{{\"id\":\"{id}\"}}"));

    private static JobRun Run(string job, DateTimeOffset start, JobOutcome outcome) => new()
    {
        RunId = Guid.CreateVersion7(start),
        JobName = job,
        Trigger = TriggerKind.Automatic,
        HostName = "web-01",
        StartedAt = start,
        EndedAt = start.AddSeconds(2),
        Outcome = outcome,
        Counts = new RecordCounts(10, 7, 2, 1),
        Error = outcome == JobOutcome.Failed ? "ERP busy" : null,
        Log = [new JobLogEntry(start, JobLogLevel.Warning, "Record SO1 skipped: ERP busy")],
    };
}
