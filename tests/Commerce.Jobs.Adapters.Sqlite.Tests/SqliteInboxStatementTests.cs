using System.Text;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;
using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>
/// The inbox's prepared statements: an offer goes <see cref="SqliteJobStore.EnqueueRows"/> rows per INSERT and the rest
/// row by row, and a claim reads the records and then leases the job's free records up to the last one read, in one
/// transaction. Whatever the offer's length and whatever lies between the records claimed (other jobs' records, failed
/// ones, ones another owner holds), exactly the records offered are stored and exactly the records returned are leased.
/// </summary>
public sealed class SqliteInboxStatementTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData(1)]
    [InlineData(SqliteJobStore.EnqueueRows - 1)]
    [InlineData(SqliteJobStore.EnqueueRows)]
    [InlineData(SqliteJobStore.EnqueueRows + 1)]
    [InlineData((3 * SqliteJobStore.EnqueueRows) + 7)]
    public async Task An_offer_of_any_length_is_stored_whole_and_in_order(int count)
    {
        using var store = _database.Open();
        var records = Enumerable.Range(0, count)
            .Select(i => new PendingRecord($"{HostileKeys[i % HostileKeys.Count]}#{i}", $"key-{i}\0{HostileKeys[(i + 1) % HostileKeys.Count]}", Encoding.UTF8.GetBytes($"{{\"n\":{i}}}")))
            .ToList();

        // Offered twice: the second offer's statements are the ones prepared by the first.
        await store.EnqueueRecordsAsync("order-submit", records, None);
        await store.EnqueueRecordsAsync("order-submit", records, None);

        var claimed = await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-a", 10 * count, T0, T0.AddMinutes(5)), None);
        Assert.Equal(2 * count, claimed.Count);
        for (var i = 0; i < claimed.Count; i++)
        {
            var expected = records[i % count];
            AssertSameText(expected.RecordId, claimed[i].RecordId);
            AssertSameText(expected.IdempotencyKey, claimed[i].IdempotencyKey);
            Assert.Equal(expected.Payload, claimed[i].Payload);
        }

        Assert.True(claimed.Zip(claimed.Skip(1)).All(p => p.First.Sequence < p.Second.Sequence));
    }

    [Fact]
    public async Task An_offer_holding_a_record_without_payload_is_refused_whole()
    {
        using var store = _database.Open();
        var records = Enumerable.Range(0, SqliteJobStore.EnqueueRows + 2).Select(i => Pending($"r{i}")).ToList();
        records[^1] = new PendingRecord("no-payload", "key", null!);

        await Assert.ThrowsAsync<ArgumentNullException>(async () => await store.EnqueueRecordsAsync("order-submit", records, None));

        // The rows before it were rolled back with the offer; the statements work again afterwards.
        Assert.Empty(await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-a", 1000, T0, T0.AddMinutes(5)), None));
        await store.EnqueueRecordsAsync("order-submit", records[..3], None);
        Assert.Equal(3, (await store.ClaimRecordsAsync("order-submit", new RecordClaim("host-a", 1000, T0, T0.AddMinutes(5)), None)).Count);
    }

    [Fact]
    public async Task A_claim_leases_exactly_the_records_it_returns_whatever_lies_between_them()
    {
        using var store = _database.Open();

        // Sequence order: A1 B1 A2 A3 B2 A4 A5 A6.
        await store.EnqueueRecordsAsync("A", [Pending("A1")], None);
        await store.EnqueueRecordsAsync("B", [Pending("B1")], None);
        await store.EnqueueRecordsAsync("A", [Pending("A2"), Pending("A3")], None);
        await store.EnqueueRecordsAsync("B", [Pending("B2")], None);
        await store.EnqueueRecordsAsync("A", [Pending("A4"), Pending("A5"), Pending("A6")], None);

        // A1 fails permanently (kept for a resubmit); A3 is held by another owner.
        var a1 = Assert.Single(await store.ClaimRecordsAsync("A", new RecordClaim("host-x", 1, T0, T0.AddMinutes(5)), None));
        await store.CompleteRecordsAsync("A", "host-x", [new RecordCompletion(a1.Sequence, RecordStatus.PermanentFailure, "bad sku")], None);
        var a2Sequence = (await store.ClaimRecordsAsync("A", new RecordClaim("host-y", 1, T0, T0.AddMinutes(5)), None))[0].Sequence;
        await store.CompleteRecordsAsync("A", "host-y", [new RecordCompletion(a2Sequence, RecordStatus.TransientFailure)], None);
        var a3 = Assert.Single(await store.ClaimRecordsAsync("A", new RecordClaim("other", 1, T0, T0.AddMinutes(5), AfterSequence: a2Sequence), None));
        Assert.Equal("A3", a3.RecordId);

        // host-a takes A2, A4, A5: between and around them lie A1 (failed), B1, A3 (another owner's), B2 and A6.
        var claimed = await store.ClaimRecordsAsync("A", new RecordClaim("host-a", 3, T0, T0.AddMinutes(5)), None);
        Assert.Equal(["A2", "A4", "A5"], claimed.Select(r => r.RecordId));

        Assert.Equal(3, await store.RenewLeasesAsync("A", "host-a", T0.AddMinutes(6), None));
        Assert.Equal(1, await store.RenewLeasesAsync("A", "other", T0.AddMinutes(6), None));
        Assert.Equal(0, await store.RenewLeasesAsync("B", "host-a", T0.AddMinutes(6), None));
        Assert.Equal(["B1", "B2"], (await store.ClaimRecordsAsync("B", new RecordClaim("host-b", 10, T0, T0.AddMinutes(5)), None)).Select(r => r.RecordId));
        Assert.Equal(["A6"], (await store.ClaimRecordsAsync("A", new RecordClaim("host-c", 10, T0, T0.AddMinutes(5)), None)).Select(r => r.RecordId));

        // A resubmit takes the failed record, which no claim above leased, and nothing that is held.
        var resubmit = await store.ClaimRecordsAsync("A", new RecordClaim("host-d", 10, T0, T0.AddMinutes(5), IncludeFailed: true), None);
        var failed = Assert.Single(resubmit);
        Assert.Equal(("A1", 1, "bad sku"), (failed.RecordId, failed.Attempts, failed.LastError));
        Assert.Equal(1, await store.RenewLeasesAsync("A", "host-d", T0.AddMinutes(6), None));

        // Past their leases, all of A is free again, to the one owner that asks.
        var later = await store.ClaimRecordsAsync("A", new RecordClaim("host-e", 10, T0.AddMinutes(7), T0.AddMinutes(12), IncludeFailed: true), None);
        Assert.Equal(["A1", "A2", "A3", "A4", "A5", "A6"], later.Select(r => r.RecordId));
        Assert.Equal(6, await store.RenewLeasesAsync("A", "host-e", T0.AddMinutes(13), None));
    }
}
