using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Tests.History;

/// <summary>
/// What an in-memory claim reads: only held rows it may hand out (counted by the store), so a poll costs what it can
/// claim, not what is held.
/// </summary>
public sealed class InMemoryEntitySyncClaimTests
{
    private const string Type = "categories";
    private const string Target = "search";

    [Fact]
    public async Task A_paused_claim_reads_the_held_deletes_only_not_every_held_upsert()
    {
        var store = new InMemoryJobStore();
        await store.AddEntityChangesAsync([Target], [.. Enumerable.Range(0, 100_000).Select(i => EntityChange.Upsert(Type, $"u-{i}", null, 1))], repair: false, default);
        await store.AddEntityChangesAsync([Target], [EntityChange.Delete(Type, "d-1", 1), EntityChange.Delete(Type, "d-2", 1)], repair: false, default);

        // One paused claim takes the two deletes; ten more (another host polling) find nothing to take.
        var read = store.EntityRowsRead;
        Assert.Equal(["d-1", "d-2"], (await store.ClaimEntityChangesAsync(Type, Target, Claim("host-a", paused: true), default)).Select(h => h.Change.Id));
        for (var poll = 0; poll < 10; poll++)
        {
            Assert.Empty(await store.ClaimEntityChangesAsync(Type, Target, Claim("host-b", paused: true), default));
        }

        Assert.True(store.EntityRowsRead - read <= 2 * 11, $"{store.EntityRowsRead - read} rows read by 11 paused claims over 2 deletes");
        Assert.Equal(100_000, (await store.ClaimEntityChangesAsync(Type, Target, Claim("host-a", paused: false), default)).Count);
    }

    [Fact]
    public async Task Skipped_changes_not_yet_due_are_not_read_by_claims_until_they_are_due()
    {
        var store = new InMemoryJobStore();
        await store.AddEntityChangesAsync([Target], [.. Enumerable.Range(0, 10_000).Select(i => EntityChange.Upsert(Type, $"u-{i}", null, 1))], repair: false, default);
        var claimed = await store.ClaimEntityChangesAsync(Type, Target, Claim("host-a", paused: false), default);
        var retryAt = T0.AddMinutes(10);
        await store.CompleteEntityChangesAsync(Type, Target, "host-a", [.. claimed.Select(h => new EntityChangeCompletion(h.Change, RecordStatus.Skipped, "busy"))], T0, retryAt, default);
        await store.AddEntityChangesAsync([Target], [EntityChange.Upsert(Type, "new", null, 1)], repair: false, default);

        // Polls before the due time read the one new row, none of the 10,000 waiting ones.
        var read = store.EntityRowsRead;
        Assert.Equal("new", Assert.Single(await store.ClaimEntityChangesAsync(Type, Target, Claim("host-a", paused: false, T0.AddMinutes(1)), default)).Change.Id);
        for (var poll = 2; poll < 10; poll++)
        {
            Assert.Empty(await store.ClaimEntityChangesAsync(Type, Target, Claim("host-b", paused: false, T0.AddMinutes(poll)), default));
        }

        Assert.True(store.EntityRowsRead - read <= 9, $"{store.EntityRowsRead - read} rows read by 9 claims before the skipped rows are due");

        // Once due, they are claimable again, in sequence order, with their attempt and error.
        var retried = await store.ClaimEntityChangesAsync(Type, Target, Claim("host-b", paused: false, retryAt), default);
        Assert.Equal(claimed.Select(h => (h.Change.Id, h.Sequence, 1, "busy")), retried.Select(h => (h.Change.Id, h.Sequence, h.Attempts, h.LastError!)));
    }

    private static EntityChangeClaim Claim(string owner, bool paused, DateTimeOffset? now = null) => new(owner, 1_000_000, now ?? T0, (now ?? T0).AddHours(1), paused);
}
