using System.Text;
using Commerce.Jobs.Storage;
using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The record store contract: one suite every <see cref="IRecordStore"/> passes unchanged (in-memory, SQLite, PostgreSQL).
/// A subclass says how to make a fresh, empty store. This part is the inbox: records claimed in order under a lease,
/// settled by outcome, taken over when a lease ends, never handed to two owners; any id, key, owner and error kept as written.
/// </summary>
public abstract partial class RecordStoreContractTests
{
    /// <summary>Makes a fresh, empty store (a new database or schema per call).</summary>
    protected abstract Task<IRecordStore> CreateStoreAsync();

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
    public async Task A_claimed_record_equals_the_one_enqueued_but_for_its_sequence()
    {
        var store = await CreateStoreAsync();
        var records = new[] { Pending("SO1"), Pending("SO2") with { Payload = [] }, new PendingRecord("SO\03", "k\uD800", [0, 255, 0]) };
        await store.EnqueueRecordsAsync("order-submit", records, default);

        var claimed = await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-a", 10, T0, T0.AddMinutes(5)), default);

        // Equal by value, the payload by its bytes (here in another array), and hashed alike.
        Assert.Equal(records.Length, claimed.Count);
        for (var i = 0; i < records.Length; i++)
        {
            var expected = records[i] with { Sequence = claimed[i].Sequence, Payload = [.. records[i].Payload] };
            Assert.Equal(expected, claimed[i]);
            Assert.Equal(expected.GetHashCode(), claimed[i].GetHashCode());
        }

        Assert.NotEqual(records[0] with { Sequence = claimed[0].Sequence }, claimed[1]);
    }

    [Fact]
    public async Task Inbox_keeps_any_id_key_owner_and_error_as_written()
    {
        var store = await CreateStoreAsync();
        var job = HostileKeys[2];
        var owner = HostileKeys[^1];
        var ids = HostileTexts.Concat(HugeIds).ToList();
        var records = ids.Select((text, i) => new PendingRecord(text, ids[ids.Count - 1 - i], Encoding.UTF8.GetBytes($"{{\"n\":{i}}}"))).ToList();
        await store.EnqueueRecordsAsync(job, records, default);
        Assert.Equal(records.Count, await store.CountPendingRecordsAsync(job, default));

        var claimed = await store.ClaimRecordsAsync(job, new RecordClaim(owner, 1000, T0, T0.AddMinutes(5)), default);
        Assert.Equal(records.Count, claimed.Count);
        for (var i = 0; i < records.Count; i++)
        {
            AssertSameText(records[i].RecordId, claimed[i].RecordId);
            AssertSameText(records[i].IdempotencyKey, claimed[i].IdempotencyKey);
            Assert.Equal(records[i].Payload, claimed[i].Payload);
        }

        Assert.Equal(records.Count, await store.RenewLeasesAsync(job, owner, T0.AddMinutes(6), default));
        await store.CompleteRecordsAsync(job, owner,
            [.. claimed.Select((r, i) => new RecordCompletion(r.Sequence, i % 2 == 0 ? RecordStatus.Skipped : RecordStatus.PermanentFailure, ids[i]))], default);

        var again = await store.ClaimRecordsAsync(job, new RecordClaim(owner, 1000, T0, T0.AddMinutes(5), IncludeFailed: true), default);
        Assert.Equal(records.Count, again.Count);
        for (var i = 0; i < records.Count; i++)
        {
            AssertSameText(records[i].RecordId, again[i].RecordId);
            AssertSameText(ids[i], again[i].LastError);
            Assert.Equal(1, again[i].Attempts);
        }
    }
}
