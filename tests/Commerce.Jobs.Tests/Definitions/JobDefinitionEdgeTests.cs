using System.Threading.Channels;
using Commerce.Jobs.Definitions;
using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using static Commerce.Jobs.Tests.Definitions.JobDefinitionTests;

namespace Commerce.Jobs.Tests.Definitions;

/// <summary>
/// Run-time job definitions at their edges: values too large to plan or subtract, configuration reloads on several hosts,
/// jobs run after others and signals with run on schedule switched off, settings changed while a run is under way, and
/// hostile values in messages.
/// </summary>
public sealed class JobDefinitionEdgeTests
{
    private const string Huge = "3000000.00:00:00";

    [Fact]
    public async Task A_reload_with_an_interval_too_long_to_plan_is_refused_and_the_job_keeps_its_schedule()
    {
        var configuration = Configuration(("CommerceJobs:Jobs:export:Interval", "00:10:00"));
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.BindConfiguration(configuration.GetSection("CommerceJobs"));
            jobs.AddJob("export", Ok);
        });
        var reloads = Outcomes(DefinitionsOf(sut));

        configuration["CommerceJobs:Jobs:export:Interval"] = Huge;

        // The options monitor's own listener throws the validation error here (an in-memory reload runs the listeners on
        // this thread, each of them); the engine's listener runs as well.
        _ = Record.Exception(configuration.Reload);

        Assert.False(await reloads.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromMinutes(10), sut.Engine.GetEntry("export").Options.Interval);
        Assert.Equal(TestEngine.Start.AddMinutes(10), sut.Engine.GetStatus("export").NextFireTime);
    }

    [Theory]
    [InlineData(JobDefinitionFields.Interval)]
    [InlineData(JobDefinitionFields.MaxAge)]
    [InlineData(JobDefinitionFields.HistoryRetention)]
    public async Task A_stored_override_too_large_is_ignored_at_start_and_the_host_starts(string field)
    {
        var store = new InMemoryJobStore();
        await store.SetAsync(OperatorStateKinds.JobDefinition, "export", [new OperatorStateField(field, Huge, TestEngine.Start.AddDays(-1))], default);
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", Ok).Schedule(Schedule.Every(TimeSpan.FromHours(1))), services: s => s.AddSingleton<IJobStore>(store), start: false);

        await DefinitionsOf(sut).RestoreAsync(default);
        sut.Engine.Start();

        Assert.Equal(JobDefinitionSource.Code, DefinitionsOf(sut).Get("export")[field].Source);
        Assert.Equal(TestEngine.Start.AddHours(1), sut.Engine.GetStatus("export").NextFireTime);
        sut.Engine.Trigger("export");
        await sut.WaitForRunsAsync("export", 1);
    }

    [Fact]
    public async Task Hosts_reloading_an_interval_at_different_times_agree_on_its_next_fire()
    {
        var store = new InMemoryJobStore();
        var configurations = new[] { Configuration(("Jobs:export:Interval", "01:00:00")), Configuration(("Jobs:export:Interval", "01:00:00")) };
        var clocks = new[] { new FakeTimeProvider(TestEngine.Start), new FakeTimeProvider(TestEngine.Start) };
        await using var a = Host(0);
        await using var b = Host(1);

        // Seven minutes on the epoch's grid: the next fire after 08:01 and after 08:02 is 08:04 on every host.
        clocks[0].Advance(TimeSpan.FromMinutes(1));
        clocks[1].Advance(TimeSpan.FromMinutes(2));
        foreach (var (configuration, host) in new[] { (configurations[0], a), (configurations[1], b) })
        {
            var reloads = Outcomes(DefinitionsOf(host));
            configuration["Jobs:export:Interval"] = "00:07:00";
            configuration.Reload();
            Assert.True(await reloads.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        }

        await a.Observer.WaitForAsync(() => a.Engine.GetStatus("export").NextFireTime == TestEngine.Start.AddMinutes(4));
        await b.Observer.WaitForAsync(() => b.Engine.GetStatus("export").NextFireTime == TestEngine.Start.AddMinutes(4));

        TestEngine Host(int i) => TestEngine.Create(
            jobs =>
            {
                jobs.BindConfiguration(configurations[i]);
                jobs.AddJob("export", Ok);
            },
            clocks[i],
            services: s => s.AddSingleton<IJobStore>(store));
    }

    [Fact]
    public async Task Sources_and_version_follow_the_accepted_configuration_and_the_declared_values()
    {
        var configuration = Configuration(("Jobs:export:MaxItemsToSkip", "5"));
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.BindConfiguration(configuration);
            jobs.AddJob("export", Ok);
        });
        var definitions = DefinitionsOf(sut);
        var reloads = Outcomes(definitions);
        var before = await definitions.UpdateAsync("export", Set(JobDefinitionFields.MaxItemsToSkip, "9"), null, null, default);

        // A refused reload changes neither a source nor the version.
        configuration["Jobs:export:BatchSize"] = "0";
        _ = Record.Exception(configuration.Reload);
        Assert.False(await reloads.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(JobDefinitionSource.Code, definitions.Get("export")[JobDefinitionFields.BatchSize].Source);
        Assert.Equal(before.Version, definitions.Get("export").Version);

        // An accepted reload that changes only an overridden field's declared value changes the version (a reset would now differ).
        configuration["Jobs:export:BatchSize"] = "100";
        configuration["Jobs:export:MaxItemsToSkip"] = "7";
        _ = Record.Exception(configuration.Reload);
        Assert.True(await reloads.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        var after = definitions.Get("export");
        Assert.Equal(("9", "7"), (after[JobDefinitionFields.MaxItemsToSkip].Value, after[JobDefinitionFields.MaxItemsToSkip].DeclaredValue));
        Assert.NotEqual(before.Version, after.Version);
    }

    [Fact]
    public async Task Overrides_valid_only_together_are_put_in_force_together()
    {
        var store = new InMemoryJobStore();
        await using var sut = TestEngine.Create(
            jobs => jobs.AddJob("export", Ok).Configure(o => o.MaxConcurrency = 2),
            services: s =>
            {
                s.AddSingleton<IJobStore>(store);
                s.AddSingleton<IValidateOptions<JobOptions>>(new LargeBatchesOneAtATime());
            });

        // BatchSize comes before MaxConcurrency: alone over what is in force (2 at a time) it would not validate.
        await DefinitionsOf(sut).UpdateAsync("export", new Dictionary<string, string?> { [JobDefinitionFields.BatchSize] = "500", [JobDefinitionFields.MaxConcurrency] = "1" }, null, null, default);

        var options = sut.Engine.GetEntry("export").Options;
        Assert.Equal((500, 1), (options.BatchSize, options.MaxConcurrency));
        Assert.Equal(JobDefinitionSource.Override, DefinitionsOf(sut).Get("export")[JobDefinitionFields.BatchSize].Source);
    }

    [Fact]
    public async Task A_job_run_after_another_is_not_run_once_its_run_on_schedule_is_switched_off()
    {
        var b = new Counter();
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.AddJob("a", Ok);
            jobs.AddJob("b", b.Run).Schedule(Schedule.After("a"));
        });

        await DefinitionsOf(sut).UpdateAsync("b", Set(JobDefinitionFields.RunOnSchedule, "false"), null, null, default);
        sut.Engine.Trigger("a");
        await sut.WaitForRunsAsync("a", 1);

        // A run of b would be in flight once a's run is seen ended: b idle now means none was asked for.
        await sut.Engine.WaitForIdleAsync("b", default).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, b.Runs);
    }

    [Fact]
    public async Task A_job_run_after_another_declared_with_run_on_schedule_off_runs_after_it_once_switched_on()
    {
        var configuration = Configuration(("Jobs:b:RunOnSchedule", "false"));
        var b = new Counter();
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.BindConfiguration(configuration);
            jobs.AddJob("a", Ok);
            jobs.AddJob("b", b.Run).Schedule(Schedule.After("a"));
        });

        sut.Engine.Trigger("a");
        await sut.WaitForRunsAsync("a", 1);
        await sut.Engine.WaitForIdleAsync("b", default).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, b.Runs);

        await DefinitionsOf(sut).UpdateAsync("b", Set(JobDefinitionFields.RunOnSchedule, "true"), null, null, default);
        sut.Engine.Trigger("a");
        await sut.WaitForRunsAsync("b", 1);
        Assert.Equal(TriggerKind.After, Assert.Single(sut.Runs, r => r.JobName == "b").Trigger);
    }

    [Fact]
    public async Task A_reload_that_breaks_the_inbox_lease_rule_is_refused()
    {
        var configuration = Configuration(("CommerceJobs:LeaseDuration", "00:10:00"), ("CommerceJobs:Jobs:export:RetryWindow:Window", "00:02:00"));
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.BindConfiguration(configuration.GetSection("CommerceJobs"));
            jobs.AddRecordJob<Order>("export").ReadFromInbox().DeliverTo(new ScriptedErp());
        });
        var reloads = Outcomes(DefinitionsOf(sut));

        configuration["CommerceJobs:Jobs:export:RetryWindow:Window"] = "00:06:00";
        configuration.Reload();

        Assert.False(await reloads.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromMinutes(2), sut.Engine.GetEntry("export").Options.RetryWindow.Window);
    }

    [Fact]
    public async Task Failure_notifications_switched_off_during_a_failing_run_still_notify_that_run()
    {
        var notifier = new RecordingNotifier();
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var sut = TestEngine.Create(
            jobs => jobs.AddJob("export", async (_, ct) =>
            {
                started.TrySetResult();
                await release.Task.WaitAsync(ct);
                return JobResult.Failed("ERP down");
            }),
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        sut.Engine.Trigger("export");
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await DefinitionsOf(sut).UpdateAsync("export", Set(JobDefinitionFields.NotifyOnFailure, "false"), null, null, default);
        release.TrySetResult();
        await sut.WaitForRunsAsync("export", 1);
        await sut.NotifiedAsync();

        Assert.Single(notifier.Failures);
    }

    [Fact]
    public async Task A_signal_to_an_automatic_job_with_run_on_schedule_off_is_ignored()
    {
        var submit = new Counter();
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("submit", submit.Run).Schedule(Schedule.Automatic()));
        await DefinitionsOf(sut).UpdateAsync("submit", Set(JobDefinitionFields.RunOnSchedule, "false"), null, null, default);

        sut.Engine.Signal("submit");
        await sut.Engine.WaitForIdleAsync("submit", default).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, submit.Runs);

        await DefinitionsOf(sut).UpdateAsync("submit", Set(JobDefinitionFields.RunOnSchedule, null), null, null, default);
        sut.Engine.Signal("submit");
        await sut.WaitForRunsAsync("submit", 1);
    }

    [Fact]
    public async Task A_huge_hostile_value_is_capped_in_the_message_that_refuses_it()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", Ok));
        var hostile = string.Concat(Enumerable.Repeat("12\r\nX-Injected: yes\0", 50_000));

        var refused = await Assert.ThrowsAsync<JobDefinitionValidationException>(async () => await DefinitionsOf(sut).UpdateAsync("export", Set(JobDefinitionFields.BatchSize, hostile), null, null, default));

        var message = Assert.Single(refused.Errors);
        Assert.StartsWith("Job 'export': BatchSize '", message, StringComparison.Ordinal);
        Assert.True(message.Length < 1_000, $"the message has {message.Length} characters");
        Assert.DoesNotContain('\0', message);
    }

    /// <summary>A host's rule over two fields: a batch of 500 or more runs one at a time.</summary>
    private sealed class LargeBatchesOneAtATime : IValidateOptions<JobOptions>
    {
        public ValidateOptionsResult Validate(string? name, JobOptions options)
            => options.BatchSize >= 500 && options.MaxConcurrency > 1 ? ValidateOptionsResult.Fail($"Job '{name}': BatchSize 500 or more needs MaxConcurrency 1.") : ValidateOptionsResult.Success;
    }

    /// <summary>A job body that counts its runs (they are counted before the run ends).</summary>
    private sealed class Counter
    {
        private int _runs;

        public int Runs => Volatile.Read(ref _runs);

        public ValueTask<JobResult> Run(JobContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _runs);
            return ValueTask.FromResult(JobResult.Success);
        }
    }

    private static ConfigurationRoot Configuration(params (string Key, string Value)[] values)
        => (ConfigurationRoot)new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static Channel<bool> Outcomes(JobDefinitionService definitions)
    {
        var outcomes = Channel.CreateUnbounded<bool>();
        definitions.ConfigurationApplied += (_, accepted) => outcomes.Writer.TryWrite(accepted);
        return outcomes;
    }
}
