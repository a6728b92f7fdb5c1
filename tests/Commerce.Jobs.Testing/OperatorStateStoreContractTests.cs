using Commerce.Jobs.Storage;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Testing;

/// <summary>
/// The operator-state contract (<see cref="IOperatorStateStore"/>): one suite every store passes unchanged (in-memory,
/// SQLite, PostgreSQL). Entries are keyed by (kind, name); the newest change wins per field, a tie keeps the stored one.
/// </summary>
public abstract class OperatorStateStoreContractTests
{
    private const string Job = OperatorStateKinds.Job;
    private const string EntitySync = OperatorStateKinds.EntitySync;

    private static readonly DateTimeOffset T0 = new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero).AddTicks(1_234_560);   // microseconds, as hosts stamp them

    private IOperatorStateStore? _propertyStore;
    private int _propertyCase;

    /// <summary>Makes a fresh, empty store (a new database or schema per call).</summary>
    protected abstract Task<IOperatorStateStore> CreateStoreAsync();

    [Fact]
    public async Task Job_controls_are_stored_per_job_case_insensitively_the_newest_change_winning()
    {
        var store = await CreateStoreAsync();
        Assert.Empty(await store.GetAsync(Job, default));
        var at = T0;

        await SetControlAsync(store, "order-submit", paused: true, disabled: false, at);
        await SetControlAsync(store, "nightly", paused: false, disabled: true, at.AddMinutes(1));
        await SetControlAsync(store, "ORDER-SUBMIT", paused: false, disabled: true, at.AddMinutes(2));
        // A host's late write of an older change, and one as new, replace nothing.
        await SetControlAsync(store, "order-submit", paused: true, disabled: false, at.AddMinutes(1));
        await SetControlAsync(store, "order-submit", paused: true, disabled: true, at.AddMinutes(2));

        var controls = (await store.GetAsync(Job, default)).OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.Equal(2, controls.Count);
        Assert.Equal("nightly", controls[0].Name);
        AssertFields(controls[0], ("disabled", "true", at.AddMinutes(1)), ("paused", "false", at.AddMinutes(1)));
        Assert.Equal("order-submit", controls[1].Name, ignoreCase: true);
        AssertFields(controls[1], ("disabled", "true", at.AddMinutes(2)), ("paused", "false", at.AddMinutes(2)));
    }

    [Fact]
    public async Task Entity_sync_configurations_and_deletions_are_stored_per_type_the_newest_change_winning()
    {
        var store = await CreateStoreAsync();
        Assert.Empty(await store.GetAsync(EntitySync, default));
        var at = T0;

        await SetConfigurationAsync(store, "categories", """["search","erp"]""", paused: false, at);
        await SetConfigurationAsync(store, "buyers", """["erp"]""", paused: false, at);
        await SetConfigurationAsync(store, "CATEGORIES", """["search","erp"]""", paused: true, at.AddMinutes(1));
        await store.SetAsync(EntitySync, "buyers", [new("deleted", "true", at.AddMinutes(2))], default);
        await SetConfigurationAsync(store, "buyers", """["erp"]""", paused: false, at.AddMinutes(1));

        var stored = (await store.GetAsync(EntitySync, default)).OrderBy(c => c.Name, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.Equal(2, stored.Count);
        Assert.Equal("buyers", stored[0].Name);
        Assert.Equal(("true", at.AddMinutes(2)), Field(stored[0], "deleted"));
        Assert.Equal("categories", stored[1].Name, ignoreCase: true);
        AssertFields(
            stored[1],
            ("deleted", "false", at.AddMinutes(1)),
            ("enabled", "true", at.AddMinutes(1)),
            ("incremental-sync", "true", at.AddMinutes(1)),
            ("paused", "true", at.AddMinutes(1)),
            ("targets", """["search","erp"]""", at.AddMinutes(1)));
    }

    [Fact]
    public async Task Concurrent_changes_of_different_fields_both_hold()
    {
        var store = await CreateStoreAsync();

        // Host A pauses at t1; host B, which read the job before that, disables it at t2 (only the field it changed).
        await store.SetAsync(Job, "export", [new("paused", "true", T0.AddSeconds(1))], default);
        await store.SetAsync(Job, "export", [new("disabled", "true", T0.AddSeconds(2))], default);
        // Even a host that writes its stale view of the other field (stamped when that field last changed) loses nothing.
        await store.SetAsync(Job, "export", [new("paused", "false", T0), new("disabled", "true", T0.AddSeconds(3))], default);

        var entry = Assert.Single(await store.GetAsync(Job, default));
        AssertFields(entry, ("disabled", "true", T0.AddSeconds(3)), ("paused", "true", T0.AddSeconds(1)));

        // Entity sync alike: one host pauses, another changes the targets.
        await store.SetAsync(EntitySync, "categories", [new("paused", "true", T0.AddSeconds(1))], default);
        await store.SetAsync(EntitySync, "categories", [new("targets", """["search","archive"]""", T0.AddSeconds(2))], default);
        AssertFields(Assert.Single(await store.GetAsync(EntitySync, default)), ("paused", "true", T0.AddSeconds(1)), ("targets", """["search","archive"]""", T0.AddSeconds(2)));
    }

    [Fact]
    public async Task An_older_write_is_ignored_and_a_tie_keeps_the_stored_field()
    {
        var store = await CreateStoreAsync();
        await store.SetAsync(Job, "export", [new("paused", "true", T0)], default);

        await store.SetAsync(Job, "export", [new("paused", "false", T0.AddTicks(-10))], default);
        Assert.Equal(("true", T0), Field(Assert.Single(await store.GetAsync(Job, default)), "paused"));

        await store.SetAsync(Job, "export", [new("paused", "false", T0)], default);
        Assert.Equal(("true", T0), Field(Assert.Single(await store.GetAsync(Job, default)), "paused"));

        // Times are kept to the microsecond, truncated: a change within the same microsecond is a tie.
        await store.SetAsync(Job, "export", [new("paused", "false", T0.AddTicks(9))], default);
        Assert.Equal(("true", T0), Field(Assert.Single(await store.GetAsync(Job, default)), "paused"));

        await store.SetAsync(Job, "export", [new("paused", "false", T0.AddTicks(10))], default);
        Assert.Equal(("false", T0.AddTicks(10)), Field(Assert.Single(await store.GetAsync(Job, default)), "paused"));

        // A field given twice in one write is applied in order, by the same rule.
        await store.SetAsync(Job, "export", [new("paused", "true", T0.AddSeconds(5)), new("paused", "false", T0.AddSeconds(5)), new("paused", "x", T0.AddSeconds(4))], default);
        Assert.Equal(("true", T0.AddSeconds(5)), Field(Assert.Single(await store.GetAsync(Job, default)), "paused"));

        // Nothing written, nothing changed.
        await store.SetAsync(Job, "export", [], default);
        Assert.Single(Assert.Single(await store.GetAsync(Job, default)).Fields);
    }

    [Fact]
    public async Task Kinds_and_names_are_kept_apart_and_names_compare_case_insensitively()
    {
        var store = await CreateStoreAsync();
        await store.SetAsync(Job, "categories", [new("paused", "true", T0)], default);
        await store.SetAsync(EntitySync, "categories", [new("paused", "false", T0.AddSeconds(1))], default);
        await store.SetAsync(Job, "export", [new("paused", "false", T0.AddSeconds(2))], default);
        await store.SetAsync(Job, "EXPORT", [new("disabled", "true", T0.AddSeconds(3))], default);
        await store.SetAsync("job-definition", "export", [new("paused", "other", T0)], default);

        var jobs = (await store.GetAsync(Job, default)).OrderBy(e => e.Name, StringComparer.OrdinalIgnoreCase).ToList();
        Assert.Equal(2, jobs.Count);
        Assert.All(jobs, e => Assert.Equal(Job, e.Kind));
        Assert.Equal("categories", jobs[0].Name);
        AssertFields(jobs[0], ("paused", "true", T0));
        Assert.Equal("EXPORT", jobs[1].Name);   // as spelled by the newest field's write
        AssertFields(jobs[1], ("disabled", "true", T0.AddSeconds(3)), ("paused", "false", T0.AddSeconds(2)));

        var entitySync = Assert.Single(await store.GetAsync(EntitySync, default));
        Assert.Equal(EntitySync, entitySync.Kind);
        AssertFields(entitySync, ("paused", "false", T0.AddSeconds(1)));
        AssertFields(Assert.Single(await store.GetAsync("job-definition", default)), ("paused", "other", T0));
        Assert.Empty(await store.GetAsync("target", default));
    }

    [Fact]
    public async Task Names_and_values_keep_any_text_as_written()
    {
        var store = await CreateStoreAsync();
        string[] names = [.. StoreTestData.HostileKeys, StoreTestData.HugeIds[0]];
        string?[] values = [.. StoreTestData.HostileTexts, null];
        for (var i = 0; i < names.Length; i++)
        {
            await store.SetAsync(Job, names[i], [new("paused", values[i % values.Length], T0), new("disabled", values[(i + 1) % values.Length], T0)], default);
        }

        var entries = (await store.GetAsync(Job, default)).ToDictionary(e => e.Name, StringComparer.Ordinal);
        Assert.Equal(names.Order(StringComparer.Ordinal), entries.Keys.Order(StringComparer.Ordinal));
        for (var i = 0; i < names.Length; i++)
        {
            AssertFields(entries[names[i]], ("disabled", values[(i + 1) % values.Length], T0), ("paused", values[i % values.Length], T0));
        }
    }

    [Property(MaxTest = 40)]
    public Property Any_generated_name_and_value_reads_back_as_written() =>
        Prop.ForAll(StoreTestData.HostileStrings, Values, (name, value) => Task.Run(() => ReadsBackAsWrittenAsync(name, value)).GetAwaiter().GetResult());

    /// <summary>Values: hostile strings, with <see langword="null"/> and a 10,000-character one weighted in.</summary>
    private static Arbitrary<string?> Values { get; } = Gen.Frequency(
        (8, StoreTestData.HostileStrings.Generator.Select(s => (string?)s)),
        (1, Gen.Constant<string?>(null)),
        (1, Gen.Constant<string?>(StoreTestData.HugeIds[0]))).ToArbitrary();

    private static Task SetControlAsync(IOperatorStateStore store, string job, bool paused, bool disabled, DateTimeOffset at) =>
        store.SetAsync(Job, job, [new("paused", Flag(paused), at), new("disabled", Flag(disabled), at)], default).AsTask();

    private static Task SetConfigurationAsync(IOperatorStateStore store, string type, string targets, bool paused, DateTimeOffset at) =>
        store.SetAsync(EntitySync, type, [new("deleted", "false", at), new("enabled", "true", at), new("paused", Flag(paused), at), new("incremental-sync", "true", at), new("targets", targets, at)], default).AsTask();

    private static string Flag(bool value) => value ? "true" : "false";

    private static (string? Value, DateTimeOffset ChangedAt) Field(OperatorStateEntry entry, string name)
    {
        var field = Assert.Single(entry.Fields, f => f.Name == name);
        return (field.Value, field.ChangedAt);
    }

    /// <summary>Asserts an entry's fields exactly (any order), each value compared ordinally.</summary>
    private static void AssertFields(OperatorStateEntry entry, params (string Name, string? Value, DateTimeOffset ChangedAt)[] expected) =>
        Assert.Equal(
            expected.OrderBy(f => f.Name, StringComparer.Ordinal),
            entry.Fields.Select(f => (f.Name, f.Value, f.ChangedAt)).OrderBy(f => f.Name, StringComparer.Ordinal));

    private async Task<bool> ReadsBackAsWrittenAsync(string name, string? value)
    {
        var store = _propertyStore ??= await CreateStoreAsync();
        var kind = $"property-{Interlocked.Increment(ref _propertyCase)}";
        await store.SetAsync(kind, name, [new("value", value, T0)], default);
        var entry = Assert.Single(await store.GetAsync(kind, default));
        var field = Assert.Single(entry.Fields);
        return entry.Name == name && entry.Kind == kind && field.Name == "value" && field.Value == value && field.ChangedAt == T0;
    }
}
