using System.Collections.Concurrent;
using System.Threading.Channels;
using Commerce.Jobs.Definitions;
using Commerce.Jobs.History;
using Commerce.Jobs.Tests.Scheduling;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Targets;
using Commerce.Jobs.Tests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static Commerce.Jobs.Tests.Definitions.JobDefinitionTests;

namespace Commerce.Jobs.Tests.Definitions;

/// <summary>
/// Run-time delivery-target definitions (<see cref="IJobDefinitions.GetTarget"/>): a target's health settings changed at
/// run time are used by its health monitor from its next decision, validated like start-up, reset, layered over code and
/// configuration, kept in the store and shared by the engines on it.
/// </summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class TargetDefinitionTests
{
    [Fact]
    public async Task A_lower_failure_ratio_set_at_run_time_breaks_the_target_on_the_next_decision()
    {
        await using var sut = Create(t => (t.FailureRatio, t.MinimumThroughput) = (1, 4));
        var erp = new ScriptedErp();
        var monitor = MonitorOf(sut);

        // Half the calls fail: under a ratio of 1 (only all failing breaks) the target stays healthy.
        await DeliverAsync(monitor, erp, true, true, false, false);
        Assert.Equal(TargetHealthState.Healthy, monitor.Snapshot().State);

        var definition = await Definitions(sut).UpdateTargetAsync("erp", Set(TargetDefinitionFields.FailureRatio, "0.5"), null, "alice", default);

        Assert.Equal(new JobDefinitionField(TargetDefinitionFields.FailureRatio, "0.5", JobDefinitionSource.Override, "1"), definition[TargetDefinitionFields.FailureRatio]);
        Assert.Equal(("erp", "alice"), (definition.JobName, definition.ChangedBy));
        await DeliverAsync(monitor, erp, true, true, false, false);
        var health = monitor.Snapshot();
        Assert.Equal(TargetHealthState.Unhealthy, health.State);
        Assert.Equal(TestEngine.Start + TimeSpan.FromSeconds(30), health.PausedUntil);
    }

    [Fact]
    public async Task An_update_and_a_reset_are_recorded_with_who_when_and_old_and_new_values_and_a_refusal_is_not()
    {
        await using var sut = Create(t => t.FailureRatio = 0.1);
        var definitions = Definitions(sut);
        var log = sut.Services.GetRequiredService<IOperatorChangeLog>();

        await definitions.UpdateTargetAsync("erp", Set(TargetDefinitionFields.FailureRatio, "0.5"), null, "alice", default);
        await Assert.ThrowsAsync<JobDefinitionValidationException>(async () => await definitions.UpdateTargetAsync("erp", Set(TargetDefinitionFields.FailureRatio, "7"), null, "mallory", default));
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await definitions.ResetTargetAsync("erp", null, "bob", default);

        var changes = await log.GetChangesAsync(OperatorStateKinds.TargetDefinition, "ERP", 10, default);
        Assert.Equal(
            [
                new OperatorChange(OperatorStateKinds.TargetDefinition, "erp", "reset", TestEngine.Start.AddMinutes(1), "bob", [new OperatorChangeValue(TargetDefinitionFields.FailureRatio, "0.5", "0.1")]),
                new OperatorChange(OperatorStateKinds.TargetDefinition, "erp", "update", TestEngine.Start, "alice", [new OperatorChangeValue(TargetDefinitionFields.FailureRatio, "0.1", "0.5")]),
            ],
            changes.Select(c => c with { Values = [.. c.Values] }),
            new OperatorChangeComparer());
    }

    private sealed class OperatorChangeComparer : IEqualityComparer<OperatorChange>
    {
        public bool Equals(OperatorChange? x, OperatorChange? y) =>
            x is not null && y is not null && (x.Kind, x.Name, x.Action, x.ChangedAt, x.ChangedBy) == (y.Kind, y.Name, y.Action, y.ChangedAt, y.ChangedBy) && x.Values.SequenceEqual(y.Values);

        public int GetHashCode(OperatorChange obj) => obj.Action.GetHashCode(StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_longer_break_duration_leaves_the_break_in_progress_as_it_is_and_is_the_length_of_the_next_one()
    {
        await using var sut = Create(t => (t.FailureRatio, t.MinimumThroughput, t.BreakDuration) = (0.5, 2, TimeSpan.FromMinutes(1)));
        var erp = new ScriptedErp();
        var monitor = MonitorOf(sut);
        await DeliverAsync(monitor, erp, false, false);
        Assert.Equal(TestEngine.Start.AddMinutes(1), monitor.Snapshot().PausedUntil);

        await Definitions(sut).UpdateTargetAsync("erp", Set(TargetDefinitionFields.BreakDuration, "00:05:00"), null, null, default);

        // The target keeps the break it is in: paused until the minute is over, not called meanwhile.
        Assert.Equal((TargetHealthState.Unhealthy, TestEngine.Start.AddMinutes(1)), (monitor.Snapshot().State, monitor.Snapshot().PausedUntil));
        var calls = erp.Calls;
        Assert.Equal(RecordStatus.TransientFailure, (await monitor.DeliverAsync(erp, Batch(0), CancellationToken.None)).BatchStatus);
        Assert.Equal(calls, erp.Calls);

        // The probe after it fails: the next break is the new length.
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await DeliverAsync(monitor, erp, false);
        Assert.Equal(calls + 1, erp.Calls);
        Assert.Equal((TargetHealthState.Unhealthy, TestEngine.Start.AddMinutes(6)), (monitor.Snapshot().State, monitor.Snapshot().PausedUntil));
    }

    [Fact]
    public async Task New_sampling_rules_set_while_the_target_is_broken_take_over_once_it_is_healthy_again()
    {
        await using var sut = Create(t => (t.FailureRatio, t.MinimumThroughput, t.BreakDuration) = (0.5, 2, TimeSpan.FromMinutes(1)));
        var erp = new ScriptedErp();
        var monitor = MonitorOf(sut);
        await DeliverAsync(monitor, erp, false, false);

        await Definitions(sut).UpdateTargetAsync("erp", Set(TargetDefinitionFields.MinimumThroughput, "6"), null, null, default);
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await DeliverAsync(monitor, erp, true);                    // the probe succeeds: healthy
        Assert.Equal(TargetHealthState.Healthy, monitor.Snapshot().State);

        // Five failures are under the new minimum of six deliveries: still healthy; the sixth decides.
        await DeliverAsync(monitor, erp, false, false, false, false, false);
        Assert.Equal(TargetHealthState.Healthy, monitor.Snapshot().State);
        await DeliverAsync(monitor, erp, false);
        Assert.Equal(TargetHealthState.Unhealthy, monitor.Snapshot().State);
    }

    [Fact]
    public async Task A_monitor_made_after_the_change_starts_with_the_changed_settings()
    {
        await using var sut = Create(t => (t.FailureRatio, t.MinimumThroughput) = (1, 4));
        await Definitions(sut).UpdateTargetAsync("erp", Set(TargetDefinitionFields.FailureRatio, "0.5"), null, null, default);

        var monitor = MonitorOf(sut);

        Assert.Equal(0.5, monitor.Rules.FailureRatio);
        await DeliverAsync(monitor, new ScriptedErp(), true, true, false, false);
        Assert.Equal(TargetHealthState.Unhealthy, monitor.Snapshot().State);
    }

    [Theory]
    [InlineData(TargetDefinitionFields.FailureRatio, "0", "Target 'erp': FailureRatio must be between 0.01 and 1 (was 0).")]
    [InlineData(TargetDefinitionFields.FailureRatio, "1.5", "Target 'erp': FailureRatio must be between 0.01 and 1 (was 1.5).")]
    [InlineData(TargetDefinitionFields.FailureRatio, "NaN", "Target 'erp': FailureRatio 'NaN' is not a number (0.25).")]
    [InlineData(TargetDefinitionFields.FailureRatio, "0,5", "Target 'erp': FailureRatio '0,5' is not a number (0.25).")]
    [InlineData(TargetDefinitionFields.SamplingDuration, "00:00:00.1", "Target 'erp': SamplingDuration must be at least 00:00:00.5 (was 00:00:00.1000000).")]
    [InlineData(TargetDefinitionFields.SamplingDuration, "soon", "Target 'erp': SamplingDuration 'soon' is not a time span ([d.]hh:mm:ss).")]
    [InlineData(TargetDefinitionFields.MinimumThroughput, "1", "Target 'erp': MinimumThroughput must be at least 2 (was 1).")]
    [InlineData(TargetDefinitionFields.MinimumThroughput, "2.5", "Target 'erp': MinimumThroughput '2.5' is not a whole number.")]
    [InlineData(TargetDefinitionFields.BreakDuration, "-00:00:01", "Target 'erp': BreakDuration must be at least 00:00:00.5 (was -00:00:01).")]
    [InlineData("MaxConcurrency", "8", "Target 'erp': 'MaxConcurrency' is not a setting that can change at run time; use one of FailureRatio, SamplingDuration, MinimumThroughput, BreakDuration.")]
    public async Task An_invalid_value_is_refused_with_the_start_up_message_and_nothing_changes(string field, string value, string message)
    {
        await using var sut = Create();
        var definitions = Definitions(sut);
        var before = definitions.GetTarget("erp");
        var monitor = MonitorOf(sut);

        // With a valid field beside it: all or nothing.
        var fields = new Dictionary<string, string?> { [TargetDefinitionFields.BreakDuration == field ? TargetDefinitionFields.FailureRatio : TargetDefinitionFields.BreakDuration] = TargetDefinitionFields.BreakDuration == field ? "0.2" : "00:02:00", [field] = value };
        var refused = await Assert.ThrowsAsync<JobDefinitionValidationException>(() => definitions.UpdateTargetAsync("erp", fields, null, null, default).AsTask());

        Assert.Equal([message], refused.Errors);
        Assert.Equal("erp", refused.JobName);
        Assert.Equal(before, definitions.GetTarget("erp"), DefinitionComparer.Instance);
        Assert.Empty(await sut.Services.GetRequiredService<IOperatorStateStore>().GetAsync(OperatorStateKinds.TargetDefinition, default));
        Assert.Equal((0.1, TimeSpan.FromSeconds(30)), (monitor.Rules.FailureRatio, monitor.Rules.BreakDuration));
    }

    [Property(MaxTest = 100)]
    public Property Any_text_is_either_a_valid_ratio_put_in_force_or_refused_naming_the_target_and_the_setting()
        => Prop.ForAll(Hostile().ToArbitrary(), value =>
        {
            var sut = Create(start: false);
            var definitions = Definitions(sut);
            var before = definitions.GetTarget("erp");
            try
            {
                var after = definitions.UpdateTargetAsync("erp", Set(TargetDefinitionFields.FailureRatio, value), null, null, default).AsTask().GetAwaiter().GetResult();
                var ratio = double.Parse(after[TargetDefinitionFields.FailureRatio].Value!, System.Globalization.CultureInfo.InvariantCulture);
                return ratio is >= 0.01 and <= 1 && MonitorOf(sut).Rules.FailureRatio.Equals(ratio);
            }
            catch (JobDefinitionValidationException ex)
            {
                return ex.Errors.Count == 1
                    && ex.Errors[0].StartsWith("Target 'erp': FailureRatio ", StringComparison.Ordinal)
                    && ex.Errors[0].Length < 400
                    && DefinitionComparer.Instance.Equals(before, definitions.GetTarget("erp"));
            }
            finally
            {
                sut.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        });

    [Fact]
    public async Task Each_field_shows_its_source_an_override_wins_and_a_reset_restores_configuration_and_code()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CommerceJobs:Targets:erp:FailureRatio"] = "0.25",
            ["CommerceJobs:Targets:erp:MinimumThroughput"] = "20",
        }).Build();
        await using var sut = Create(t => (t.BreakDuration, t.MinimumThroughput) = (TimeSpan.FromMinutes(2), 5), configuration);
        var definitions = Definitions(sut);

        var declared = definitions.GetTarget("erp");
        Assert.Equal(
            [
                new(TargetDefinitionFields.FailureRatio, "0.25", JobDefinitionSource.Configuration, "0.25"),
                new(TargetDefinitionFields.SamplingDuration, "00:02:00", JobDefinitionSource.Code, "00:02:00"),
                new(TargetDefinitionFields.MinimumThroughput, "20", JobDefinitionSource.Configuration, "20"),
                new JobDefinitionField(TargetDefinitionFields.BreakDuration, "00:02:00", JobDefinitionSource.Code, "00:02:00"),
            ],
            declared.Fields);

        var changed = await definitions.UpdateTargetAsync("erp", new Dictionary<string, string?> { [TargetDefinitionFields.FailureRatio] = "0.75", [TargetDefinitionFields.BreakDuration] = "00:00:10" }, declared.Version, "alice", default);
        Assert.Equal(("0.75", JobDefinitionSource.Override, "0.25"), Show(changed[TargetDefinitionFields.FailureRatio]));
        Assert.Equal(("00:00:10", JobDefinitionSource.Override, "00:02:00"), Show(changed[TargetDefinitionFields.BreakDuration]));
        Assert.Equal((0.75, TimeSpan.FromSeconds(10), 20), (MonitorOf(sut).Rules.FailureRatio, MonitorOf(sut).Rules.BreakDuration, MonitorOf(sut).Rules.MinimumThroughput));

        // Stale version: refused, nothing changed.
        await Assert.ThrowsAsync<JobDefinitionConflictException>(() => definitions.UpdateTargetAsync("erp", Set(TargetDefinitionFields.FailureRatio, "0.5"), declared.Version, null, default).AsTask());
        await Assert.ThrowsAsync<JobDefinitionConflictException>(() => definitions.ResetTargetAsync("erp", declared.Version, null, default).AsTask());

        // A field given as null goes back to its declared value; the other stays overridden.
        var partial = await definitions.UpdateTargetAsync("erp", Set(TargetDefinitionFields.FailureRatio, null), changed.Version, null, default);
        Assert.Equal(("0.25", JobDefinitionSource.Configuration, "0.25"), Show(partial[TargetDefinitionFields.FailureRatio]));
        Assert.Equal(JobDefinitionSource.Override, partial[TargetDefinitionFields.BreakDuration].Source);

        var reset = await definitions.ResetTargetAsync("erp", partial.Version, "bob", default);
        Assert.Equal(declared.Fields, reset.Fields);
        Assert.Equal(declared.Version, reset.Version);
        Assert.Equal("bob", reset.ChangedBy);
        Assert.Equal((0.25, TimeSpan.FromMinutes(2)), (MonitorOf(sut).Rules.FailureRatio, MonitorOf(sut).Rules.BreakDuration));
    }

    [Fact]
    public async Task Configuration_wins_over_code_even_when_bound_before_the_code_configures_the_target()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["CommerceJobs:Targets:erp:MinimumThroughput"] = "20" }).Build();
        await using var sut = TestEngine.Create(
            jobs =>
            {
                jobs.BindConfiguration(configuration.GetSection("CommerceJobs"));
                jobs.AddTarget(new NamedTarget("erp"));
                jobs.ConfigureTarget("erp", t => (t.MinimumThroughput, t.FailureRatio) = (5, 0.3));
            });

        var declared = Definitions(sut).GetTarget("erp");

        Assert.Equal(("20", JobDefinitionSource.Configuration, "20"), Show(declared[TargetDefinitionFields.MinimumThroughput]));
        Assert.Equal(("0.3", JobDefinitionSource.Code, "0.3"), Show(declared[TargetDefinitionFields.FailureRatio]));
        Assert.Equal((20, 0.3), (MonitorOf(sut).Rules.MinimumThroughput, MonitorOf(sut).Rules.FailureRatio));
    }

    [Fact]
    public async Task An_undeclared_target_is_not_found_and_named_and_job_own_targets_are_found()
    {
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.AddTarget(new NamedTarget("search"));
            jobs.AddRecordJob<Order>("export").ReadFrom(new Cart()).DeliverTo(new ScriptedErp());
        });
        var definitions = Definitions(sut);

        Assert.Equal("search", definitions.GetTarget("SEARCH").JobName);
        Assert.Equal("export", definitions.GetTarget("export").JobName);
        var missing = Assert.Throws<ArgumentException>(() => definitions.GetTarget("erp"));
        Assert.Contains("'erp'", missing.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => definitions.UpdateTargetAsync("erp", Set(TargetDefinitionFields.FailureRatio, "0.5"), null, null, default).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => definitions.ResetTargetAsync("erp", null, null, default).AsTask());
    }

    [Fact]
    public async Task Two_engines_on_one_store_take_up_each_others_change_at_the_refresh_the_newest_field_winning()
    {
        var store = new InMemoryJobStore();
        var time = new FakeTimeProvider(TestEngine.Start);
        await using var a = Create(store: store, time: time);
        await using var b = Create(store: store, time: time);
        var onB = MonitorOf(b);

        await Definitions(a).UpdateTargetAsync("erp", Set(TargetDefinitionFields.FailureRatio, "0.5"), null, "alice", default);
        await b.Engine.RefreshOperatorStateAsync(default);
        Assert.Equal(0.5, onB.Rules.FailureRatio);
        Assert.Equal(Definitions(a).GetTarget("erp").Version, Definitions(b).GetTarget("erp").Version);

        time.Advance(TimeSpan.FromSeconds(1));
        await Definitions(b).UpdateTargetAsync("erp", Set(TargetDefinitionFields.BreakDuration, "00:05:00"), null, "bob", default);
        await a.Engine.RefreshOperatorStateAsync(default);
        Assert.Equal((0.5, TimeSpan.FromMinutes(5)), (MonitorOf(a).Rules.FailureRatio, MonitorOf(a).Rules.BreakDuration));
        Assert.Equal("bob", Definitions(a).GetTarget("erp").ChangedBy);

        time.Advance(TimeSpan.FromSeconds(1));
        await Definitions(a).ResetTargetAsync("erp", null, null, default);
        await b.Engine.RefreshOperatorStateAsync(default);
        Assert.Equal((0.1, TimeSpan.FromSeconds(30)), (onB.Rules.FailureRatio, onB.Rules.BreakDuration));
        Assert.DoesNotContain(Definitions(b).GetTarget("erp").Fields, f => f.Source == JobDefinitionSource.Override);
    }

    [Fact]
    public async Task At_start_an_override_is_restored_one_that_no_longer_validates_is_ignored_with_a_warning_and_an_unknown_target_kept()
    {
        var store = new InMemoryJobStore();
        var at = TestEngine.Start.AddDays(-1);
        await store.SetAsync(OperatorStateKinds.TargetDefinition, "retired", [new OperatorStateField(TargetDefinitionFields.FailureRatio, "0.5", at)], default);
        await store.SetAsync(
            OperatorStateKinds.TargetDefinition,
            "erp",
            [
                new OperatorStateField(TargetDefinitionFields.FailureRatio, "7", at),
                new OperatorStateField(TargetDefinitionFields.BreakDuration, "00:03:00", at),
                new OperatorStateField("a-later-versions-field", "x", at),
            ],
            default);
        var logs = new LogCollector();

        await using var sut = Create(store: store, start: false, logs: logs);
        await sut.Services.GetRequiredService<TargetDefinitionService>().RestoreAsync(default);

        var definition = Definitions(sut).GetTarget("erp");
        Assert.Equal(("0.1", JobDefinitionSource.Code), (definition[TargetDefinitionFields.FailureRatio].Value, definition[TargetDefinitionFields.FailureRatio].Source));
        Assert.Equal(("00:03:00", JobDefinitionSource.Override), (definition[TargetDefinitionFields.BreakDuration].Value, definition[TargetDefinitionFields.BreakDuration].Source));
        Assert.Equal((0.1, TimeSpan.FromMinutes(3)), (MonitorOf(sut).Rules.FailureRatio, MonitorOf(sut).Rules.BreakDuration));
        var warning = Assert.Single(logs.Messages, m => m.Contains("FailureRatio", StringComparison.Ordinal));
        Assert.Contains("Target erp", warning);
        Assert.Contains("(7)", warning);
        Assert.Contains("declared value 0.1", warning);
        Assert.Single(logs.Messages, m => m.Contains("retired", StringComparison.Ordinal));
        Assert.Contains(await store.GetAsync(OperatorStateKinds.TargetDefinition, default), e => e.Name == "retired");
    }

    [Fact]
    public async Task A_valid_reload_is_applied_an_invalid_one_refused_and_an_override_stays()
    {
        var folder = Directory.CreateTempSubdirectory("commerce-jobs-target-reload-");
        try
        {
            var path = Path.Combine(folder.FullName, "appsettings.json");
            await File.WriteAllTextAsync(path, Settings(failureRatio: "0.2", breakDuration: "00:01:00"));
            var configuration = new ConfigurationBuilder().SetBasePath(folder.FullName).AddJsonFile("appsettings.json", optional: false, reloadOnChange: true).Build();
            using var disposeConfiguration = (IDisposable)configuration;
            await using var sut = Create(configuration: configuration);
            var targets = sut.Services.GetRequiredService<TargetDefinitionService>();
            var reloads = Channel.CreateUnbounded<bool>();
            targets.ConfigurationApplied += (_, accepted) => reloads.Writer.TryWrite(accepted);
            var monitor = MonitorOf(sut);
            await Definitions(sut).UpdateTargetAsync("erp", Set(TargetDefinitionFields.BreakDuration, "00:00:10"), null, null, default);

            await File.WriteAllTextAsync(path, Settings(failureRatio: "0.6", breakDuration: "00:02:00"));
            await Until(reloads, accepted: true, () => monitor.Rules.FailureRatio.Equals(0.6));

            var reloaded = Definitions(sut).GetTarget("erp");
            Assert.Equal(("0.6", JobDefinitionSource.Configuration, "0.6"), Show(reloaded[TargetDefinitionFields.FailureRatio]));
            Assert.Equal(("00:00:10", JobDefinitionSource.Override, "00:02:00"), Show(reloaded[TargetDefinitionFields.BreakDuration]));
            Assert.Equal(TimeSpan.FromSeconds(10), monitor.Rules.BreakDuration);

            await File.WriteAllTextAsync(path, Settings(failureRatio: "3", breakDuration: "00:02:00"));
            await Until(reloads, accepted: false, () => true);

            Assert.Equal(0.6, monitor.Rules.FailureRatio);
            Assert.Equal(reloaded, Definitions(sut).GetTarget("erp"), DefinitionComparer.Instance);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    internal static IJobDefinitions Definitions(TestEngine sut) => sut.Services.GetRequiredService<IJobDefinitions>();

    private static TargetHealthMonitor MonitorOf(TestEngine sut) => sut.Services.GetRequiredService<TargetHealthRegistry>().Get("erp");

    private static (string?, JobDefinitionSource, string?) Show(JobDefinitionField field) => (field.Value, field.Source, field.DeclaredValue);

    private static TestEngine Create(Action<TargetOptions>? erp = null, IConfiguration? configuration = null, IJobStore? store = null, FakeTimeProvider? time = null, bool start = true, LogCollector? logs = null) => TestEngine.Create(
        jobs =>
        {
            if (configuration is not null)
            {
                jobs.BindConfiguration(configuration.GetSection("CommerceJobs"));
            }

            jobs.AddTarget(new NamedTarget("erp"));
            jobs.ConfigureTarget("erp", erp ?? (_ => { }));
            jobs.AddRecordJob<Order>("export").ReadFrom(new Cart()).DeliverTo("erp");
        },
        time,
        services: s =>
        {
            if (store is not null)
            {
                s.AddSingleton(store);
            }

            if (logs is not null)
            {
                s.AddLogging(l => l.AddProvider(logs));
            }
        },
        start: start);

    private static DeliveryBatch<Order> Batch(int attempt) => new("export", new[] { new Order("SO1") }, o => o.Number, attempt);

    /// <summary>First attempts through the monitor, one per outcome: delivered, or the target answers a transient failure for the whole batch.</summary>
    private static async Task DeliverAsync(TargetHealthMonitor monitor, ScriptedErp erp, params bool[] ok)
    {
        foreach (var delivered in ok)
        {
            erp.Respond = _ => delivered ? DeliveryResult.Delivered : DeliveryResult.TransientFailure("503 Service Unavailable");
            await monitor.DeliverAsync(erp, Batch(0), CancellationToken.None);
        }
    }

    private static Gen<string> Hostile() => Gen.OneOf(
        ArbMap.Default.GeneratorFor<string>().Where(s => s is not null),
        Gen.Elements("0.5", "1", "0.01", "0.009", "1e-2", " 0.3 ", "-0", "Infinity", "∞", "0.5\r\n", "0.5\0", "\ud800", string.Empty, "   ", new string('9', 5000), "0x10", "١"),
        ArbMap.Default.GeneratorFor<double>().Select(d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture)));

    private static string Settings(string failureRatio, string breakDuration) =>
        $$"""{ "CommerceJobs": { "Targets": { "erp": { "FailureRatio": {{failureRatio}}, "BreakDuration": "{{breakDuration}}" } } } }""";

    /// <summary>Waits for a reload with that outcome after which <paramref name="condition"/> holds (a file write may be seen as several changes).</summary>
    private static async Task Until(Channel<bool> reloads, bool accepted, Func<bool> condition)
    {
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await reloads.Reader.ReadAsync(patience.Token) != accepted || !condition())
        {
        }
    }

    /// <summary>A named target that delivers everything (the tests drive its monitor directly).</summary>
    private sealed class NamedTarget(string name) : IDeliveryTarget
    {
        public string Name { get; } = name;

        public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken) => ValueTask.FromResult(DeliveryResult.Delivered);
    }

    /// <summary>Keeps the formatted messages of warnings and above.</summary>
    private sealed class LogCollector : ILoggerProvider, ILogger
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IReadOnlyList<string> Messages => [.. _messages];

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                _messages.Enqueue(formatter(state, exception));
            }
        }

        public void Dispose()
        {
        }
    }
}
