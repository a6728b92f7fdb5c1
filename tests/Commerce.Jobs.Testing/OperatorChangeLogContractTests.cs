using Commerce.Jobs.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The audit-trail contract (<see cref="IOperatorChangeLog"/>): one suite every store passes unchanged (in-memory, SQLite,
/// PostgreSQL). Changes are kept per (kind, name), read newest first, the newest 100 kept; any text reads back as written.
/// </summary>
public abstract class OperatorChangeLogContractTests
{
    private const string Job = OperatorStateKinds.Job;
    private const string Definition = OperatorStateKinds.JobDefinition;

    private static readonly DateTimeOffset T0 = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero).AddTicks(1_234_560);   // microseconds, as hosts stamp them

    private IOperatorChangeLog? _propertyStore;
    private int _propertyCase;

    /// <summary>Makes a fresh, empty store (a new database or schema per call).</summary>
    protected abstract Task<IOperatorChangeLog> CreateStoreAsync();

    [Fact]
    public async Task Changes_are_read_newest_first_with_who_when_and_old_and_new_values()
    {
        var store = await CreateStoreAsync();
        Assert.Empty(await store.GetChangesAsync(Job, "export", 10, default));

        var pause = Change(Job, "export", "pause", T0, "alice", ("paused", "false", "true"));
        var disable = Change(Job, "export", "disable", T0.AddMinutes(1), null, ("disabled", "false", "true"));
        var update = Change(Definition, "export", "update", T0.AddMinutes(2), "bob", ("Interval", "00:10:00", "00:01:00"), ("BatchSize", "100", null));
        await store.AppendChangeAsync(pause, default);
        await store.AppendChangeAsync(disable, default);
        await store.AppendChangeAsync(update, default);

        AssertChanges([disable, pause], await store.GetChangesAsync(Job, "export", 10, default));
        AssertChanges([update], await store.GetChangesAsync(Definition, "export", 10, default));
        Assert.Empty(await store.GetChangesAsync(Job, "import", 10, default));
        Assert.Empty(await store.GetChangesAsync(OperatorStateKinds.EntitySync, "export", 10, default));
    }

    [Fact]
    public async Task A_late_change_takes_its_place_by_time_and_changes_at_one_time_read_the_later_appended_first()
    {
        var store = await CreateStoreAsync();
        var first = Change(Job, "export", "pause", T0, "a", ("paused", "false", "true"));
        var third = Change(Job, "export", "resume", T0.AddSeconds(2), "c", ("paused", "true", "false"));
        var second = Change(Job, "export", "disable", T0.AddSeconds(1), "b", ("disabled", "false", "true"));   // another host's, written late
        var tied = Change(Job, "export", "enable", T0.AddSeconds(2), "d", ("disabled", "true", "false"));
        await store.AppendChangeAsync(first, default);
        await store.AppendChangeAsync(third, default);
        await store.AppendChangeAsync(second, default);
        await store.AppendChangeAsync(tied, default);

        AssertChanges([tied, third, second, first], await store.GetChangesAsync(Job, "export", 10, default));
    }

    [Fact]
    public async Task The_limit_bounds_the_read_to_the_newest()
    {
        var store = await CreateStoreAsync();
        var changes = Enumerable.Range(0, 7).Select(i => Change(Job, "export", i % 2 == 0 ? "pause" : "resume", T0.AddSeconds(i), "alice", ("paused", i % 2 == 0 ? "false" : "true", i % 2 == 0 ? "true" : "false"))).ToList();
        foreach (var change in changes)
        {
            await store.AppendChangeAsync(change, default);
        }

        AssertChanges([changes[6], changes[5], changes[4]], await store.GetChangesAsync(Job, "export", 3, default));
        AssertChanges([changes[6]], await store.GetChangesAsync(Job, "export", 1, default));
        Assert.Equal(7, (await store.GetChangesAsync(Job, "export", 1000, default)).Count);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () => await store.GetChangesAsync(Job, "export", 0, default));
    }

    [Fact]
    public async Task Names_compare_case_insensitively_and_kinds_are_kept_apart()
    {
        var store = await CreateStoreAsync();
        var lower = Change(Job, "order-submit", "pause", T0, "alice", ("paused", "false", "true"));
        var upper = Change(Job, "ORDER-SUBMIT", "resume", T0.AddSeconds(1), "bob", ("paused", "true", "false"));
        var definition = Change(Definition, "Order-Submit", "reset", T0.AddSeconds(2), "carol");
        await store.AppendChangeAsync(lower, default);
        await store.AppendChangeAsync(upper, default);
        await store.AppendChangeAsync(definition, default);

        // Each change keeps the name as it was spelled when appended.
        AssertChanges([upper, lower], await store.GetChangesAsync(Job, "Order-Submit", 10, default));
        AssertChanges([definition], await store.GetChangesAsync(Definition, "order-submit", 10, default));
    }

    [Fact]
    public async Task The_newest_100_changes_per_kind_and_name_are_kept_and_older_ones_dropped()
    {
        var store = await CreateStoreAsync();
        var other = Change(Job, "import", "pause", T0, "alice", ("paused", "false", "true"));
        await store.AppendChangeAsync(other, default);
        var changes = Enumerable.Range(0, 105).Select(i => Change(Job, "export", "pause", T0.AddSeconds(i), $"user-{i}", ("paused", "true", "true"))).ToList();
        foreach (var change in changes)
        {
            await store.AppendChangeAsync(change, default);
        }

        var kept = await store.GetChangesAsync(Job, "EXPORT", 1000, default);
        Assert.Equal(100, kept.Count);
        AssertChanges([.. Enumerable.Reverse(changes).Take(100)], kept);

        // A change older than all kept ones is itself the oldest: it is dropped at once.
        await store.AppendChangeAsync(Change(Job, "export", "resume", T0.AddSeconds(-1), "late", ("paused", "true", "false")), default);
        AssertChanges([.. Enumerable.Reverse(changes).Take(100)], await store.GetChangesAsync(Job, "export", 1000, default));

        // Another (kind, name) keeps its own.
        AssertChanges([other], await store.GetChangesAsync(Job, "import", 1000, default));
    }

    [Fact]
    public async Task Names_actors_and_values_keep_any_text_as_written()
    {
        var store = await CreateStoreAsync();
        string[] names = [.. StoreTestData.HostileKeys, StoreTestData.HugeIds[0]];
        string?[] texts = [.. StoreTestData.HostileTexts, null];
        for (var i = 0; i < names.Length; i++)
        {
            var change = Change(Definition, names[i], "update", T0, texts[i % texts.Length], (names[(i + 1) % names.Length], texts[(i + 1) % texts.Length], texts[(i + 2) % texts.Length]));
            await store.AppendChangeAsync(change, default);
            AssertChanges([change], await store.GetChangesAsync(Definition, names[i], 10, default));
        }
    }

    [Property(MaxTest = 40)]
    public Property Any_generated_name_actor_and_values_read_back_as_written() =>
        Prop.ForAll(StoreTestData.HostileStrings, Texts, Texts, (name, actor, value) => Task.Run(() => ReadsBackAsWrittenAsync(name, actor, value)).GetAwaiter().GetResult());

    /// <summary>Texts: hostile strings, with <see langword="null"/> and a 10,000-character one weighted in.</summary>
    private static Arbitrary<string?> Texts { get; } = Gen.Frequency(
        (8, StoreTestData.HostileStrings.Generator.Select(s => (string?)s)),
        (1, Gen.Constant<string?>(null)),
        (1, Gen.Constant<string?>(StoreTestData.HugeIds[0]))).ToArbitrary();

    private static OperatorChange Change(string kind, string name, string action, DateTimeOffset at, string? by, params (string Field, string? Old, string? New)[] values) =>
        new(kind, name, action, at, by, [.. values.Select(v => new OperatorChangeValue(v.Field, v.Old, v.New))]);

    /// <summary>Asserts changes exactly, in order, each text compared ordinally.</summary>
    private static void AssertChanges(IReadOnlyList<OperatorChange> expected, IReadOnlyList<OperatorChange> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var i = 0; i < expected.Count; i++)
        {
            Assert.True(Same(expected[i], actual[i]), $"Change {i}: expected {expected[i]}, was {actual[i]}.");
        }
    }

    private static bool Same(OperatorChange expected, OperatorChange actual) =>
        actual.Kind == expected.Kind
        && actual.Name == expected.Name
        && actual.Action == expected.Action
        && actual.ChangedAt == expected.ChangedAt
        && actual.ChangedAt.Offset == TimeSpan.Zero
        && actual.ChangedBy == expected.ChangedBy
        && actual.Values.SequenceEqual(expected.Values);

    private async Task<bool> ReadsBackAsWrittenAsync(string name, string? actor, string? value)
    {
        var store = _propertyStore ??= await CreateStoreAsync();
        var kind = $"property-{Interlocked.Increment(ref _propertyCase)}";
        var change = new OperatorChange(kind, name, name, T0, actor, [new OperatorChangeValue(name, value, actor), new OperatorChangeValue("x", null, value)]);
        await store.AppendChangeAsync(change, default);
        var read = Assert.Single(await store.GetChangesAsync(kind, name, 10, default));
        return Same(change, read);
    }
}
