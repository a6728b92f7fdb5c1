using Commerce.Jobs.Storage;
using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Testing;

/// <summary>
/// Completions that name one id more than once in one call: applied in order, as if one call per completion (so the
/// first one that ends the owner's lease leaves the row to the next claim, whatever comes after it in the list).
/// </summary>
public abstract partial class EntitySyncStoreContractTests
{
    /// <summary>Lists of completions of c-1 (held at version 1, or replaced by version 2 under the lease), with c-2 between.</summary>
    public static TheoryData<string, bool> RepeatedCompletions => new()
    {
        { "skipped 1, delivered 1", false },
        { "released 1, delivered 1", false },
        { "delivered 1, skipped 1", false },
        { "skipped 1, skipped 1", false },
        { "skipped 1, failed 1", false },
        { "failed 1, delivered 1", false },
        { "delivered 1, delivered 2", true },
        { "skipped 2, delivered 2", true },
        { "delivered 2, delivered 1", true },
        { "released 1, skipped 2, delivered 2", true },
    };

    [Theory]
    [MemberData(nameof(RepeatedCompletions))]
    public async Task Completions_naming_one_id_twice_are_applied_in_order_as_one_call_per_completion(string list, bool replaced)
    {
        var completions = list.Split(", ").Select((step, i) => step.Split(' ') switch
        {
            [var outcome, var version] => new EntityChangeCompletion(
                Upsert("c-1", long.Parse(version, System.Globalization.CultureInfo.InvariantCulture)),
                outcome switch { "delivered" => RecordStatus.Delivered, "skipped" => RecordStatus.Skipped, "failed" => RecordStatus.PermanentFailure, _ => RecordStatus.TransientFailure },
                outcome is "skipped" or "failed" ? $"error {i}" : null),
            _ => throw new ArgumentException(step),
        }).ToList();
        completions.Insert(1, new EntityChangeCompletion(Upsert("c-2", 1), RecordStatus.Delivered));

        var oneCall = await ArrangeAsync();
        await oneCall.CompleteEntityChangesAsync(Categories, "search", OwnerA, completions, T0, T0.AddMinutes(30), None);
        var callEach = await ArrangeAsync();
        foreach (var completion in completions)
        {
            await callEach.CompleteEntityChangesAsync(Categories, "search", OwnerA, [completion], T0, T0.AddMinutes(30), None);
        }

        Assert.Equal(await ObserveAsync(callEach), await ObserveAsync(oneCall));

        async Task<IEntitySyncStore> ArrangeAsync()
        {
            var store = await CreateStoreAsync();
            await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 1), Upsert("c-2", 1)], repair: false, None);
            Assert.Equal(2, (await ClaimAsync(store, OwnerA)).Count);
            if (replaced)
            {
                await store.AddEntityChangesAsync(["search"], [Upsert("c-1", 2)], repair: false, None);
            }

            return store;
        }

        // What is claimable right away and after every lease and due time, the counts and the delivered versions.
        static async Task<string> ObserveAsync(IEntitySyncStore store)
        {
            static string Show(IEnumerable<HeldEntityChange> held) =>
                string.Join("; ", held.Select(h => $"{h.Change.Id} v{h.Change.Version} {h.Change.Kind} attempts {h.Attempts} '{h.LastError}'"));

            var counts = await store.GetEntitySyncCountsAsync(Categories, "search", None);
            var now = Show(await ClaimAsync(store, OwnerB, now: T0));
            var later = Show(await ClaimAsync(store, OwnerB, now: T0.AddDays(1)));
            var delivered = string.Join(", ", (await store.GetDeliveredEntityVersionsAsync(Categories, "search", None)).OrderBy(d => d.Key, StringComparer.Ordinal));
            return $"now: [{now}]\nlater: [{later}]\ncounts: {counts}\ndelivered: {delivered}";
        }
    }
}
