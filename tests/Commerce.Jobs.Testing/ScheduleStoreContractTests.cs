using Commerce.Jobs.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The schedule contract: one suite every <see cref="IScheduleStore"/> passes unchanged (in-memory, SQLite, PostgreSQL).
/// An occurrence is claimed once and only forward; checkpoints are set, read and cleared, any name and value kept as written.
/// </summary>
public abstract class ScheduleStoreContractTests
{
    private IScheduleStore? _propertyStore;
    private int _propertyCase;

    /// <summary>Makes a fresh, empty store (a new database or schema per call).</summary>
    protected abstract Task<IScheduleStore> CreateStoreAsync();

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

    [Fact]
    public async Task Checkpoints_and_occurrences_keep_any_name_and_value_as_written()
    {
        var store = await CreateStoreAsync();
        for (var i = 0; i < HostileKeys.Count; i++)
        {
            var job = HostileKeys[i];
            await store.SetCheckpointAsync(job, HostileTexts[i], default);
            Assert.True(await store.TryClaimOccurrenceAsync(job, T0, HostileKeys[^1], default));
            Assert.False(await store.TryClaimOccurrenceAsync(job, T0, "other-host", default));
        }

        await store.SetCheckpointAsync("large", HostileTexts[^1], default);
        AssertSameText(HostileTexts[^1], await store.GetCheckpointAsync("large", default));
        for (var i = 0; i < HostileKeys.Count; i++)
        {
            AssertSameText(HostileTexts[i], await store.GetCheckpointAsync(HostileKeys[i], default));
        }
    }

    [Property(MaxTest = 40)]
    public Property Any_generated_checkpoint_reads_back_as_written() =>
        Prop.ForAll(HostileStrings, text => Task.Run(() => ReadsBackAsWritten(text)).GetAwaiter().GetResult());

    private bool ReadsBackAsWritten(string text)
    {
        var store = _propertyStore ??= CreateStoreAsync().GetAwaiter().GetResult();
        var job = $"property-{Interlocked.Increment(ref _propertyCase)}";
        store.SetCheckpointAsync(job, text, None).AsTask().GetAwaiter().GetResult();
        return store.GetCheckpointAsync(job, None).AsTask().GetAwaiter().GetResult() == text;
    }
}
