using Commerce.Jobs.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The failures part of the record store contract: attempts counted and the last error kept per record, failures of
/// delivered records forgotten, pages read in one order that covers every failure once whatever happens between pages,
/// failures found among given ids; any id and error kept as written.
/// </summary>
public abstract partial class RecordStoreContractTests
{
    private IRecordStore? _propertyStore;
    private int _propertyCase;

    [Fact]
    public async Task Record_failures_count_attempts_keep_the_last_error_and_are_forgotten_when_delivered()
    {
        var store = await CreateStoreAsync();
        await store.AddRecordFailuresAsync("order-submit", [new RecordFailure("SO1", RecordStatus.Skipped, "timeout", 0, T0), new RecordFailure("SO2", RecordStatus.PermanentFailure, "bad sku", 0, T0)], default);
        await store.AddRecordFailuresAsync("order-submit", [new RecordFailure("SO1", RecordStatus.Skipped, "503", 0, T0.AddMinutes(1))], default);

        var failures = (await store.ReadAllRecordFailuresAsync("order-submit")).OrderBy(f => f.RecordId).ToList();
        Assert.Equal(new RecordFailure("SO1", RecordStatus.Skipped, "503", 2, T0.AddMinutes(1)), failures[0]);
        Assert.Equal(new RecordFailure("SO2", RecordStatus.PermanentFailure, "bad sku", 1, T0), failures[1]);

        await store.RemoveRecordFailuresAsync("order-submit", ["SO1", "SO9"], default);
        Assert.Equal(["SO2"], (await store.ReadAllRecordFailuresAsync("order-submit")).Select(f => f.RecordId));
        Assert.Empty(await store.ReadAllRecordFailuresAsync("other"));
    }

    [Fact]
    public async Task Record_failures_keep_any_id_and_error_as_written()
    {
        var store = await CreateStoreAsync();
        foreach (var job in new[] { "order-submit", HostileKeys[0], HostileKeys[^1] })
        {
            var failures = HostileIds.Select((id, i) => new RecordFailure(id, RecordStatus.Skipped, HostileTexts[i % HostileTexts.Count], 0, T0)).ToList();
            await store.AddRecordFailuresAsync(job, failures, default);
            await store.AddRecordFailuresAsync(job, [new RecordFailure(HostileIds[1], RecordStatus.PermanentFailure, HostileTexts[^1], 0, T0.AddMinutes(1))], default);
            await store.AddRecordFailuresAsync(job, [new RecordFailure(HugeIds[^1], RecordStatus.PermanentFailure, "again", 0, T0.AddMinutes(1))], default);

            var stored = (await store.ReadAllRecordFailuresAsync(job)).ToDictionary(f => f.RecordId, StringComparer.Ordinal);
            Assert.Equal(HostileIds.Count, stored.Count);
            for (var i = 0; i < HostileIds.Count; i++)
            {
                var failure = stored[HostileIds[i]];
                var again = i == 1 || i == HostileIds.Count - 1;
                AssertSameText(i == 1 ? HostileTexts[^1] : i == HostileIds.Count - 1 ? "again" : HostileTexts[i % HostileTexts.Count], failure.Error);
                Assert.Equal(again ? 2 : 1, failure.Attempts);
            }

            // Looked up by the same ids: the delivered ones are forgotten, the others stay.
            await store.RemoveRecordFailuresAsync(job, [.. HostileIds.Where((_, i) => i % 2 == 0)], default);
            var left = (await store.ReadAllRecordFailuresAsync(job)).Select(f => f.RecordId).Order(StringComparer.Ordinal);
            Assert.Equal(HostileIds.Where((_, i) => i % 2 == 1).Order(StringComparer.Ordinal), left);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1000)]
    public async Task Failure_pages_follow_one_order_and_hold_every_failure_once(int limit)
    {
        var store = await CreateStoreAsync();
        var ids = PagingIds();
        await store.AddRecordFailuresAsync("order-submit", [.. ids.Select((id, i) => new RecordFailure(id, RecordStatus.Skipped, $"error {i}", 0, T0))], default);
        await store.AddRecordFailuresAsync("other", [new RecordFailure("SO1", RecordStatus.Skipped, "other job", 0, T0)], default);
        var order = (await store.ReadAllRecordFailuresAsync("order-submit", pageSize: 1000)).Select(f => f.RecordId).ToList();

        var pages = new List<IReadOnlyList<RecordFailure>>();
        string? after = null;
        do
        {
            pages.Add(await store.GetRecordFailuresAsync("order-submit", after, limit, default));
            after = pages[^1].Count > 0 ? pages[^1][^1].RecordId : null;
        }
        while (pages[^1].Count == limit);

        // Every page but the last is full; together they are every failure once, in the one order whatever the page size.
        Assert.All(pages.SkipLast(1), page => Assert.Equal(limit, page.Count));
        Assert.True(pages[^1].Count < limit);
        var read = pages.SelectMany(p => p).ToList();
        Assert.Equal(order, read.Select(f => f.RecordId));
        Assert.Equal(ids.Order(StringComparer.Ordinal), read.Select(f => f.RecordId).Order(StringComparer.Ordinal));
        Assert.All(read, f => Assert.Equal($"error {ids.IndexOf(f.RecordId)}", f.Error));
        Assert.Empty(await store.GetRecordFailuresAsync("nobody", null, limit, default));
    }

    [Fact]
    public async Task A_failure_page_starts_after_its_id_even_when_that_failure_is_gone()
    {
        var store = await CreateStoreAsync();
        var ids = PagingIds();
        await store.AddRecordFailuresAsync("order-submit", [.. ids.Select(id => new RecordFailure(id, RecordStatus.PermanentFailure, null, 0, T0))], default);
        var order = (await store.ReadAllRecordFailuresAsync("order-submit", pageSize: 1000)).Select(f => f.RecordId).ToList();

        for (var k = 0; k < order.Count; k += 5)
        {
            Assert.Equal(order.Skip(k + 1).Take(4), (await store.GetRecordFailuresAsync("order-submit", order[k], 4, default)).Select(f => f.RecordId));
        }

        // The id a reader paged to is delivered (forgotten) before it reads on: the next page starts where it was.
        await store.RemoveRecordFailuresAsync("order-submit", [order[10]], default);
        Assert.Equal(order.Skip(11).Take(3), (await store.GetRecordFailuresAsync("order-submit", order[10], 3, default)).Select(f => f.RecordId));
        Assert.Empty(await store.GetRecordFailuresAsync("order-submit", order[^1], 3, default));
    }

    [Fact]
    public async Task Failures_added_and_removed_between_pages_never_repeat_or_hide_one_that_stays()
    {
        var store = await CreateStoreAsync();
        var ids = PagingIds();
        var (first, later) = (ids.Take(ids.Count / 2).ToList(), ids.Skip(ids.Count / 2).ToList());
        await store.AddRecordFailuresAsync("order-submit", [.. first.Select(id => new RecordFailure(id, RecordStatus.Skipped, "first", 0, T0))], default);
        var order = (await store.ReadAllRecordFailuresAsync("order-submit")).Select(f => f.RecordId).ToList();

        var read = new List<string>();
        string? after = null;
        var turn = 0;
        while (true)
        {
            var page = await store.GetRecordFailuresAsync("order-submit", after, 4, default);
            read.AddRange(page.Select(f => f.RecordId));
            if (page.Count < 4)
            {
                break;
            }

            after = page[^1].RecordId;

            // Between pages other hosts add failures, count another attempt, and forget delivered ones.
            turn++;
            var added = later.Skip((turn - 1) * 3).Take(3).ToList();
            await store.AddRecordFailuresAsync("order-submit", [.. added.Select(id => new RecordFailure(id, RecordStatus.Skipped, "later", 0, T0)), new RecordFailure(order[^1], RecordStatus.Skipped, "again", 0, T0)], default);
            await store.RemoveRecordFailuresAsync("order-submit", [order[(turn * 7) % order.Count]], default);
        }

        Assert.Equal(read.Count, read.Distinct(StringComparer.Ordinal).Count());
        var removed = Enumerable.Range(1, turn).Select(t => order[(t * 7) % order.Count]).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(first.Where(id => !removed.Contains(id)).Except(read, StringComparer.Ordinal));
        var now = (await store.ReadAllRecordFailuresAsync("order-submit")).Select(f => f.RecordId).ToList();
        Assert.Equal(now.Distinct(StringComparer.Ordinal).Count(), now.Count);
    }

    [Fact]
    public async Task A_failure_page_limit_below_one_is_refused()
    {
        var store = await CreateStoreAsync();
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.GetRecordFailuresAsync("order-submit", null, 0, default));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.GetRecordFailuresAsync("order-submit", "SO1", -1, default));
    }

    [Fact]
    public async Task Failures_are_found_among_given_ids_only()
    {
        var store = await CreateStoreAsync();
        var failed = HostileIds.Where((_, i) => i % 2 == 0).ToList();
        await store.AddRecordFailuresAsync("order-submit", [.. failed.Select((id, i) => new RecordFailure(id, RecordStatus.Skipped, HostileTexts[i % HostileTexts.Count], 0, T0))], default);
        await store.AddRecordFailuresAsync("order-submit", [new RecordFailure(failed[1], RecordStatus.PermanentFailure, "bad sku", 0, T0.AddMinutes(1))], default);
        await store.AddRecordFailuresAsync("other", [.. HostileIds.Select(id => new RecordFailure(id, RecordStatus.Skipped, "other job", 0, T0))], default);

        // Asked about every id (the failed ones, the others, one twice): only the failed ones come back, once each, as stored.
        var found = (await store.FindRecordFailuresAsync("order-submit", [.. HostileIds, failed[0], "never-failed"], default)).ToDictionary(f => f.RecordId, StringComparer.Ordinal);
        Assert.Equal(failed.Order(StringComparer.Ordinal), found.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new RecordFailure(failed[1], RecordStatus.PermanentFailure, "bad sku", 2, T0.AddMinutes(1)), found[failed[1]]);
        for (var i = 2; i < failed.Count; i++)
        {
            AssertSameText(HostileTexts[i % HostileTexts.Count], found[failed[i]].Error);
            Assert.Equal(1, found[failed[i]].Attempts);
        }

        Assert.Empty(await store.FindRecordFailuresAsync("order-submit", [], default));
        Assert.Empty(await store.FindRecordFailuresAsync("order-submit", ["never-failed"], default));
        Assert.Empty(await store.FindRecordFailuresAsync("nobody", [.. HostileIds], default));
        AssertSameText(failed[0], Assert.Single(await store.FindRecordFailuresAsync("ORDER-SUBMIT", [failed[0]], default)).RecordId);
    }

    [Property(MaxTest = 40)]
    public Property Any_generated_failure_reads_back_as_written() =>
        Prop.ForAll(HostileStrings, text => Task.Run(() => FailureReadsBackAsWritten(text)).GetAwaiter().GetResult());

    private bool FailureReadsBackAsWritten(string text)
    {
        var store = _propertyStore ??= CreateStoreAsync().GetAwaiter().GetResult();
        var job = $"property-{Interlocked.Increment(ref _propertyCase)}";
        store.AddRecordFailuresAsync(job, [new RecordFailure(text, RecordStatus.Skipped, text, 0, T0)], None).AsTask().GetAwaiter().GetResult();
        var failure = Assert.Single(store.GetRecordFailuresAsync(job, null, 10, None).AsTask().GetAwaiter().GetResult());
        var found = Assert.Single(store.FindRecordFailuresAsync(job, [text], None).AsTask().GetAwaiter().GetResult());
        return failure.RecordId == text && failure.Error == text && found == failure;
    }

    /// <summary>Ids to page over: plain ones that sort differently by code unit and by code point, and every hostile id.</summary>
    private static List<string> PagingIds() =>
        [.. Enumerable.Range(0, 12).Select(i => $"SO{i:D2}"), "so01", "\uFFFF", "😀", "\uFF5E", "é", "e", "E", "Z", "a\0", "a", .. HostileIds];
}
