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

    private static EntityChangeClaim Claim(string owner, bool paused) => new(owner, 1_000_000, T0, T0.AddMinutes(5), paused);
}
