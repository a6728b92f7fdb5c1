using System.Collections.Concurrent;
using Commerce.Jobs.EntitySync;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.Scheduling;
using Commerce.Jobs.Tests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static Commerce.Jobs.Tests.EntitySync.EntitySyncSut;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>
/// An entity type's delivery settings (batch size, skip threshold, retry window, RetrySkippedAfter) changed at run time as
/// fields of its configuration: validated as at start, in force from each target's next page, kept in the store, taken up
/// by other hosts, and put back to as declared with <see langword="null"/>.
/// </summary>
public sealed class EntitySyncRunTimeSettingsTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    /// <summary>Stored text for a setting: hostile (control characters, lone surrogates, huge, empty), numbers and spans in and out of range.</summary>
    private static readonly Gen<string?> StoredText = Gen.OneOf(
        ArbMap.Default.GeneratorFor<string>().Select(s => (string?)s),
        Gen.Elements<string?>(null, string.Empty, " ", "\r\n", "\0", "\uD800", "12\u0000", "東京", new string('9', 5000), "1e3", "0x10", "-0", "00:00:00", "1.00:00:00", "99999999.00:00:00"),
        Gen.Choose(-3, 100_005).Select(n => (string?)n.ToString(System.Globalization.CultureInfo.InvariantCulture)),
        Gen.Choose(-5, 200_000).Select(n => (string?)TimeSpan.FromSeconds(n).ToString("c", System.Globalization.CultureInfo.InvariantCulture)));

    private static readonly Arbitrary<(string Setting, string? Value)> StoredSettings =
        (from setting in Gen.Elements(EntitySyncFields.Settings.ToArray())
         from value in StoredText
         select (setting, value)).ToArbitrary();

    private static readonly Gen<int?> AnyNumber = Gen.OneOf(Gen.Constant((int?)null), Gen.Choose(-2, 102).Select(n => (int?)n), Gen.Elements<int?>(int.MinValue, int.MaxValue, 100_000, 100_001));

    private static readonly Gen<TimeSpan?> AnySpan = Gen.OneOf(
        Gen.Constant((TimeSpan?)null),
        Gen.Choose(-2, 90_000).Select(n => (TimeSpan?)TimeSpan.FromSeconds(n)),
        Gen.Elements<TimeSpan?>(TimeSpan.MinValue, TimeSpan.MaxValue, TimeSpan.FromMilliseconds(999), TimeSpan.FromDays(1), TimeSpan.FromDays(1).Add(TimeSpan.FromTicks(1))));

    private static readonly Arbitrary<EntitySyncConfiguration> Puts =
        (from batchSize in Gen.OneOf(AnyNumber, Gen.Choose(99_990, 100_010).Select(n => (int?)n))
         from maxItemsToSkip in AnyNumber
         from maxRetries in AnyNumber
         from window in AnySpan
         from retrySkippedAfter in AnySpan
         select new EntitySyncConfiguration
         {
             EntityType = Categories,
             Targets = ["search", "erp"],
             BatchSize = batchSize,
             MaxItemsToSkip = maxItemsToSkip,
             MaxRetries = maxRetries,
             RetryWindow = window,
             RetrySkippedAfter = retrySkippedAfter,
         }).ToArbitrary();

    [Fact]
    public async Task A_batch_size_put_at_run_time_sizes_the_next_deliveries_and_null_puts_the_declared_size_back()
    {
        await using var sut = await CreateAsync(b => b.Batch(size: 5));
        var sizes = RecordSizes(sut.Search);
        await sut.DrainAsync();

        await PublishAsync(sut, 0, 10);
        Assert.Equal([5, 5], sizes.Take());

        var current = await sut.Sync.GetConfigurationAsync(Categories, None);
        Assert.Null(current!.BatchSize);
        await sut.Sync.PutConfigurationAsync(current with { BatchSize = 2 }, None);
        Assert.Equal(current with { BatchSize = 2 }, await sut.Sync.GetConfigurationAsync(Categories, None));
        await PublishAsync(sut, 10, 4);
        Assert.Equal([2, 2], sizes.Take());

        await sut.Sync.PutConfigurationAsync(current with { BatchSize = null }, None);
        Assert.Equal(current, await sut.Sync.GetConfigurationAsync(Categories, None));
        await PublishAsync(sut, 20, 6);
        Assert.Equal([5, 1], sizes.Take());
    }

    [Fact]
    public async Task A_page_being_delivered_keeps_the_batch_size_it_was_claimed_with()
    {
        await using var sut = await CreateAsync(b => b.Batch(size: 3));
        var sizes = RecordSizes(sut.Search);
        await sut.DrainAsync();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var first = 0;
        sut.Search.BeforeDeliver = async _ =>
        {
            if (Interlocked.Exchange(ref first, 1) == 0)
            {
                held.TrySetResult();
                await release.Task;
            }
        };

        await sut.Sync.PublishAsync([.. Enumerable.Range(0, 9).Select(i => EntityChange.Upsert(Categories, $"c-{i}", null, 1))], None);
        await held.Task.WaitAsync(Patience);
        var current = await sut.Sync.GetConfigurationAsync(Categories, None);
        await sut.Sync.PutConfigurationAsync(current! with { BatchSize = 2 }, None);
        release.TrySetResult();
        await sut.DrainAsync();

        Assert.Equal([3, 2, 2, 2], sizes.Take());
        Assert.Equal(9, sut.Search.State.Count);
    }

    [Fact]
    public async Task Max_retries_and_the_retry_window_put_at_run_time_govern_the_next_batch()
    {
        var time = new AutoAdvanceTimeProvider(Start);
        await using var sut = await CreateAsync(b => b.RetryWithin(maxRetries: 0, window: TimeSpan.FromSeconds(5)), time: time);
        sut.Erp.Decide = _ => RecordOutcome.Transient("503 Service Unavailable");
        await sut.DrainAsync();

        await sut.UpsertAsync("c-1", 1);
        await sut.DrainAsync();
        Assert.Equal(1, sut.Erp.Calls);

        // Five retries, all starting within the declared 5 seconds of the first failure.
        var current = await sut.Sync.GetConfigurationAsync(Categories, None);
        await sut.Sync.PutConfigurationAsync(current! with { MaxRetries = 5 }, None);
        var before = time.GetUtcNow();
        await sut.UpsertAsync("c-2", 1);
        await sut.DrainAsync();
        Assert.Equal(1 + 6, sut.Erp.Calls);
        Assert.True(time.GetUtcNow() - before <= TimeSpan.FromSeconds(5), $"took {time.GetUtcNow() - before}");

        // A 40-second window lets the same retries back off further (past the declared 5 seconds).
        await sut.Sync.PutConfigurationAsync(current with { MaxRetries = 5, RetryWindow = TimeSpan.FromSeconds(40) }, None);
        before = time.GetUtcNow();
        await sut.UpsertAsync("c-3", 1);
        await sut.DrainAsync();
        Assert.Equal(1 + 6 + 6, sut.Erp.Calls);
        var took = time.GetUtcNow() - before;
        Assert.True(took > TimeSpan.FromSeconds(5) && took <= TimeSpan.FromSeconds(40), $"took {took}");
        Assert.Equal(3, (await sut.StatusAsync("erp")).SkippedCount);
    }

    [Fact]
    public async Task A_skip_threshold_put_at_run_time_stops_the_next_pass()
    {
        await using var sut = await CreateAsync(b => b.Batch(size: 2, maxItemsToSkip: 100).RetryWithin(maxRetries: 0, window: TimeSpan.FromSeconds(10)));
        sut.Erp.Decide = _ => RecordOutcome.Transient("down");
        await sut.DrainAsync();

        await PublishAsync(sut, 0, 6);
        Assert.Equal(3, sut.Erp.Calls);
        Assert.DoesNotContain("MaxItemsToSkip", sut.Status("erp").LastError ?? string.Empty, StringComparison.Ordinal);

        var current = await sut.Sync.GetConfigurationAsync(Categories, None);
        await sut.Sync.PutConfigurationAsync(current! with { MaxItemsToSkip = 1 }, None);
        await sut.DrainAsync();  // the put rings the lanes: that pass is over before the publish rings again
        await PublishAsync(sut, 10, 6);

        Assert.Equal(3 + 1, sut.Erp.Calls);
        Assert.Contains("MaxItemsToSkip (1)", sut.Status("erp").LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RetrySkippedAfter_put_at_run_time_sets_when_a_skipped_change_is_tried_again()
    {
        await using var sut = await CreateAsync(b => b.RetryWithin(maxRetries: 0, window: TimeSpan.FromSeconds(10)));
        await sut.DrainAsync();
        var current = await sut.Sync.GetConfigurationAsync(Categories, None);
        await sut.Sync.PutConfigurationAsync(current! with { RetrySkippedAfter = TimeSpan.FromMinutes(10) }, None);
        sut.Erp.Decide = _ => RecordOutcome.Transient("down");
        await sut.UpsertAsync("c-1", 1);
        await sut.DrainAsync();
        sut.Erp.Decide = null;

        // Not after the declared minute: after ten.
        sut.Time.Advance(TimeSpan.FromMinutes(2));
        await sut.DrainAsync();
        Assert.Empty(sut.Erp.Log);
        sut.Time.Advance(TimeSpan.FromMinutes(8));
        await sut.DrainAsync();
        Assert.Equal(["c-1"], sut.Erp.Log.Select(c => c.Id));

        // Back to as declared: a minute.
        await sut.Sync.PutConfigurationAsync(current with { RetrySkippedAfter = null }, None);
        sut.Erp.Decide = _ => RecordOutcome.Transient("down");
        await sut.UpsertAsync("c-2", 1);
        await sut.DrainAsync();
        sut.Erp.Decide = null;
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await sut.DrainAsync();
        Assert.Equal(["c-1", "c-2"], sut.Erp.Log.Select(c => c.Id));
    }

    [Theory]
    [InlineData(nameof(EntitySyncConfiguration.BatchSize), "0", "Entity sync 'categories': BatchSize must be between 1 and 100000 (was 0).")]
    [InlineData(nameof(EntitySyncConfiguration.BatchSize), "100001", "Entity sync 'categories': BatchSize must be between 1 and 100000 (was 100001).")]
    [InlineData(nameof(EntitySyncConfiguration.MaxItemsToSkip), "-1", "Entity sync 'categories': MaxItemsToSkip must be between 0 and 2147483647 (was -1).")]
    [InlineData(nameof(EntitySyncConfiguration.MaxRetries), "-1", "Entity sync 'categories': RetryWindow.MaxRetries must be between 0 and 100 (was -1).")]
    [InlineData(nameof(EntitySyncConfiguration.MaxRetries), "101", "Entity sync 'categories': RetryWindow.MaxRetries must be between 0 and 100 (was 101).")]
    [InlineData(nameof(EntitySyncConfiguration.RetryWindow), "00:00:00", "Entity sync 'categories': RetryWindow.Window must be between 00:00:01 and 1.00:00:00 (was 00:00:00).")]
    [InlineData(nameof(EntitySyncConfiguration.RetryWindow), "1.00:00:01", "Entity sync 'categories': RetryWindow.Window must be between 00:00:01 and 1.00:00:00 (was 1.00:00:01).")]
    [InlineData(nameof(EntitySyncConfiguration.RetrySkippedAfter), "00:00:00.5000000", "Entity sync 'categories': RetrySkippedAfter must be between 00:00:01 and 1.00:00:00 (was 00:00:00.5000000).")]
    [InlineData(nameof(EntitySyncConfiguration.RetrySkippedAfter), "2.00:00:00", "Entity sync 'categories': RetrySkippedAfter must be between 00:00:01 and 1.00:00:00 (was 2.00:00:00).")]
    public async Task An_invalid_setting_is_refused_with_the_start_up_message_and_nothing_changes(string setting, string value, string error)
    {
        await using var sut = await CreateAsync(b => b.Batch(size: 5));
        var sizes = RecordSizes(sut.Search);
        await sut.DrainAsync();
        var current = await sut.Sync.GetConfigurationAsync(Categories, None);
        await sut.Sync.PutConfigurationAsync(current! with { MaxItemsToSkip = 7 }, None);
        var stored = await StoredAsync(sut.Store);

        // With a valid batch size beside it: all or nothing.
        var bad = With(current with { BatchSize = 3, MaxItemsToSkip = 7 }, setting, value);
        var refused = await Assert.ThrowsAsync<ArgumentException>(async () => await sut.Sync.PutConfigurationAsync(bad, None));

        Assert.Contains(error, refused.Message, StringComparison.Ordinal);
        Assert.StartsWith("The entity sync configuration was rejected and nothing was changed:", refused.Message, StringComparison.Ordinal);
        Assert.Equal(current with { MaxItemsToSkip = 7 }, await sut.Sync.GetConfigurationAsync(Categories, None));
        Assert.Equal(stored, await StoredAsync(sut.Store));
        await PublishAsync(sut, 0, 10);
        Assert.Equal([5, 5], sizes.Take());
    }

    [Fact]
    public async Task A_setting_put_on_one_host_is_taken_up_by_another_and_kept_over_a_restart()
    {
        var store = CreateStore();
        var time = new FakeTimeProvider(Start);
        await using (var a = await CreateAsync(b => b.Batch(size: 5), time: time, store: store))
        {
            await using var b = await CreateAsync(b => b.Batch(size: 5), time: time, store: store);
            var sizes = RecordSizes(b.Search);
            await b.DrainAsync();

            var current = await a.Sync.GetConfigurationAsync(Categories, None);
            var changed = current! with { BatchSize = 2, MaxItemsToSkip = 3, MaxRetries = 4, RetryWindow = TimeSpan.FromMinutes(2), RetrySkippedAfter = TimeSpan.FromMinutes(7) };
            await a.Sync.PutConfigurationAsync(changed, None);
            await a.DrainAsync();  // the put rang A's lanes: once that pass is over, what B publishes is B's to deliver (A only polls)

            // One pass of the operator-state refresh (what every ControlRefreshInterval runs).
            await b.RefreshAsync();
            await b.DrainAsync();
            Assert.Equal(changed, await b.Sync.GetConfigurationAsync(Categories, None));
            await PublishAsync(b, 0, 4);
            Assert.Equal([2, 2], sizes.Take());

            // Newest wins per field: B resets the batch size later; A keeps the rest and takes the reset up.
            time.Advance(TimeSpan.FromSeconds(1));
            await b.Sync.PutConfigurationAsync(changed with { BatchSize = null }, None);
            await a.RefreshAsync();
            Assert.Equal(changed with { BatchSize = null }, await a.Sync.GetConfigurationAsync(Categories, None));
        }

        await using var restarted = await CreateAsync(b => b.Batch(size: 5), time: time, store: store);
        var again = RecordSizes(restarted.Search);
        await restarted.DrainAsync();
        var kept = await restarted.Sync.GetConfigurationAsync(Categories, None);
        Assert.Equal((null, 3, 4, TimeSpan.FromMinutes(2), TimeSpan.FromMinutes(7)), (kept!.BatchSize, kept.MaxItemsToSkip, kept.MaxRetries, kept.RetryWindow, kept.RetrySkippedAfter));
        await PublishAsync(restarted, 100, 6);
        Assert.Equal([5, 1], again.Take());
    }

    [Fact]
    public async Task A_stored_setting_that_no_longer_validates_is_ignored_at_start_with_a_warning_and_the_rest_applies()
    {
        var store = CreateStore();
        var changedAt = Start.AddDays(-1);
        await store.SetAsync(
            OperatorStateKinds.EntitySync,
            Categories,
            [
                new OperatorStateField(EntitySyncFields.BatchSize, "0", changedAt),
                new OperatorStateField(EntitySyncFields.MaxRetries, "many\r\n\0", changedAt),
                new OperatorStateField(EntitySyncFields.MaxItemsToSkip, "9", changedAt),
                new OperatorStateField(EntitySyncFields.Paused, "true", changedAt),
            ],
            None);
        var logs = new ListLoggerProvider();

        await using var sut = await CreateAsync(
            configure: jobs =>
            {
                jobs.Services.AddSingleton<ILoggerProvider>(logs);
                jobs.AddEntitySync(Categories).DeliverTo("search", "erp").Batch(size: 5);
            },
            store: store);

        var configuration = await sut.Sync.GetConfigurationAsync(Categories, None);
        Assert.Equal((null, 9, null, true), (configuration!.BatchSize, configuration.MaxItemsToSkip, configuration.MaxRetries, configuration.Paused));
        Assert.Contains(logs.Warnings, w => w.Contains("Entity sync categories: the BatchSize changed at run time (0) is ignored (Entity sync 'categories': BatchSize must be between 1 and 100000 (was 0).); the declared value 5 applies", StringComparison.Ordinal));
        Assert.Contains(logs.Warnings, w => w.StartsWith("Entity sync categories: the RetryWindow.MaxRetries changed at run time (many", StringComparison.Ordinal) && w.EndsWith("the declared value 3 applies", StringComparison.Ordinal));

        await sut.Sync.ResumeAsync(Categories, None);
        var sizes = RecordSizes(sut.Search);
        await PublishAsync(sut, 0, 5);
        Assert.Equal([5], sizes.Take());
    }

    [Fact]
    public async Task A_type_put_at_run_time_with_settings_delivers_with_them()
    {
        await using var sut = await CreateAsync();
        var sizes = RecordSizes(sut.Search);
        await sut.Sync.PutConfigurationAsync(new EntitySyncConfiguration { EntityType = "buyers", Targets = ["search"], BatchSize = 3 }, None);
        await sut.DrainAsync();

        await sut.Sync.PublishAsync([.. Enumerable.Range(0, 7).Select(i => EntityChange.Upsert("buyers", $"b-{i}", null, 1))], None);
        await sut.DrainAsync();

        Assert.Equal([3, 3, 1], sizes.Take());
        Assert.Equal(3, (await sut.Sync.GetConfigurationAsync("BUYERS", None))!.BatchSize);
    }

    [Fact]
    public void Equal_configurations_have_equal_hash_codes_and_each_setting_counts()
    {
        var a = new EntitySyncConfiguration { EntityType = "categories", Targets = ["search"], BatchSize = 2, RetryWindow = TimeSpan.FromSeconds(9) };
        var b = new EntitySyncConfiguration { EntityType = "CATEGORIES", Targets = ["SEARCH"], BatchSize = 2, RetryWindow = TimeSpan.FromSeconds(9) };

        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, a with { BatchSize = null });
        Assert.NotEqual(a, a with { MaxItemsToSkip = 0 });
        Assert.NotEqual(a, a with { MaxRetries = 0 });
        Assert.NotEqual(a, a with { RetryWindow = null });
        Assert.NotEqual(a, a with { RetrySkippedAfter = TimeSpan.FromSeconds(1) });
    }

    [Property(MaxTest = 150, Replay = PropertySeed.Fixed)]
    public Property Any_stored_setting_text_starts_the_sync_with_it_when_valid_and_as_declared_otherwise() =>
        Prop.ForAll(StoredSettings, c => Task.Run(() => StoredSettingAsync(c.Setting, c.Value)).GetAwaiter().GetResult());

    [Property(MaxTest = 150, Replay = PropertySeed.Fixed)]
    public Property Any_put_is_in_force_as_put_or_refused_naming_the_type_and_a_setting_with_nothing_changed() =>
        Prop.ForAll(Puts, c => Task.Run(() => PutAsync(c)).GetAwaiter().GetResult());

    private static async Task StoredSettingAsync(string setting, string? value)
    {
        var store = CreateStore();
        var other = setting == EntitySyncFields.MaxItemsToSkip ? EntitySyncFields.BatchSize : EntitySyncFields.MaxItemsToSkip;
        await store.SetAsync(OperatorStateKinds.EntitySync, Categories, [new OperatorStateField(setting, value, Start), new OperatorStateField(other, "9", Start)], None);

        await using var sut = await CreateAsync(b => b.Batch(size: 5), store: store);

        // The setting is what was stored when that is valid, else as declared; the other stored setting applies either way.
        var configuration = (await sut.Sync.GetConfigurationAsync(Categories, None))!;
        var kept = EntitySyncFields.Value(configuration, setting);
        Assert.Equal("9", EntitySyncFields.Value(configuration, other));
        var read = (configuration with { BatchSize = null, MaxItemsToSkip = null, MaxRetries = null, RetryWindow = null, RetrySkippedAfter = null }).WithStored(setting, value);
        var valid = await TryPutAsync(sut, read);
        Assert.Equal(valid ? EntitySyncFields.Value(read, setting) : null, kept);
    }

    private static async Task PutAsync(EntitySyncConfiguration put)
    {
        await using var sut = await CreateAsync(b => b.Batch(size: 5));
        var before = await sut.Sync.GetConfigurationAsync(Categories, None);
        try
        {
            await sut.Sync.PutConfigurationAsync(put, None);
            Assert.Equal(put, await sut.Sync.GetConfigurationAsync(Categories, None));
        }
        catch (ArgumentException refused)
        {
            Assert.Matches(@"Entity sync 'categories': (BatchSize|MaxItemsToSkip|RetryWindow\.MaxRetries|RetryWindow\.Window|RetryWindow\.BaseDelay|RetrySkippedAfter) must be between", refused.Message);
            Assert.Equal(before, await sut.Sync.GetConfigurationAsync(Categories, None));
        }
    }

    /// <summary>Whether a put of the configuration is accepted (it is refused when a setting does not validate).</summary>
    private static async Task<bool> TryPutAsync(EntitySyncSut sut, EntitySyncConfiguration? configuration)
    {
        if (configuration is null)
        {
            return false;  // not a value of the setting
        }

        try
        {
            await sut.Sync.PutConfigurationAsync(configuration, None);
            return EntitySyncFields.Settings.Any(s => EntitySyncFields.Value(configuration, s) is not null);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Publishes <paramref name="count"/> upserts of new ids and waits until the targets have what they can get.</summary>
    private static async Task PublishAsync(EntitySyncSut sut, int first, int count)
    {
        await sut.Sync.PublishAsync([.. Enumerable.Range(first, count).Select(i => EntityChange.Upsert(Categories, $"c-{i}", null, 1))], None);
        await sut.DrainAsync();
    }

    private static Sizes RecordSizes(RecordingTarget target)
    {
        var sizes = new Sizes();
        target.BeforeDeliverChanges = changes =>
        {
            sizes.Add(changes.Count);
            return Task.CompletedTask;
        };
        return sizes;
    }

    private static EntitySyncConfiguration With(EntitySyncConfiguration configuration, string setting, string value) => setting switch
    {
        nameof(EntitySyncConfiguration.BatchSize) => configuration with { BatchSize = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
        nameof(EntitySyncConfiguration.MaxItemsToSkip) => configuration with { MaxItemsToSkip = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
        nameof(EntitySyncConfiguration.MaxRetries) => configuration with { MaxRetries = int.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
        nameof(EntitySyncConfiguration.RetryWindow) => configuration with { RetryWindow = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
        _ => configuration with { RetrySkippedAfter = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) },
    };

    private static async Task<string> StoredAsync(IJobStore store) =>
        string.Join("; ", (await store.GetAsync(OperatorStateKinds.EntitySync, None)).SelectMany(e => e.Fields.Select(f => $"{e.Name}/{f.Name}={f.Value}@{f.ChangedAt:O}")).Order(StringComparer.Ordinal));

    /// <summary>The sizes of the delivery calls a target got, taken in order.</summary>
    private sealed class Sizes
    {
        private readonly ConcurrentQueue<int> _sizes = new();

        public void Add(int size) => _sizes.Enqueue(size);

        /// <summary>The sizes since the last take.</summary>
        public int[] Take()
        {
            var taken = new List<int>();
            while (_sizes.TryDequeue(out var size))
            {
                taken.Add(size);
            }

            return [.. taken];
        }
    }

    /// <summary>Keeps every warning logged, formatted.</summary>
    private sealed class ListLoggerProvider : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> _warnings = new();

        public IReadOnlyList<string> Warnings => [.. _warnings];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                _warnings.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}

/// <summary>Applies a stored setting's text to a configuration, as a host restores it.</summary>
internal static class StoredSettingExtensions
{
    /// <summary>The configuration with the setting's text applied; <see langword="null"/> when the text is not a value of it.</summary>
    public static EntitySyncConfiguration? WithStored(this EntitySyncConfiguration configuration, string setting, string? value) =>
        EntitySyncFields.TryApply(ref configuration, new OperatorStateField(setting, value, default)) ? configuration : null;
}
