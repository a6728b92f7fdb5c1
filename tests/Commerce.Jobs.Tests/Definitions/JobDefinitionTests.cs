using Commerce.Jobs.Definitions;
using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.Definitions;

/// <summary>
/// Run-time job definitions on one engine: the precedence rule, partial updates and resets, validation like start-up,
/// optimistic concurrency, and changes put in force at once (the schedule planned again, the next run's settings).
/// </summary>
public sealed class JobDefinitionTests
{
    private static readonly DateTimeOffset Start = TestEngine.Start;

    [Fact]
    public async Task A_shorter_interval_moves_the_next_fire_to_one_new_interval_after_the_change()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", Ok).Schedule(Schedule.Every(TimeSpan.FromMinutes(10))));
        var definitions = DefinitionsOf(sut);
        Assert.Equal(Start.AddMinutes(10), sut.Engine.GetStatus("export").NextFireTime);
        sut.Time.Advance(TimeSpan.FromMinutes(3));
        await sut.SettledAsync();

        var definition = await definitions.UpdateAsync("export", Set(JobDefinitionFields.Interval, "00:01:00"), null, "alice", default);

        await sut.Observer.WaitForAsync(() => sut.Engine.GetStatus("export").NextFireTime == Start.AddMinutes(4));
        Assert.Equal(new JobDefinitionField(JobDefinitionFields.Interval, "00:01:00", JobDefinitionSource.Override, "00:10:00"), definition[JobDefinitionFields.Interval]);
        Assert.Equal("alice", definition.ChangedBy);
        Assert.Equal("every minute", sut.Engine.GetStatus("export").Schedule);

        await sut.SettledAsync();
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        await sut.WaitForRunsAsync("export", 1);
        await sut.Observer.WaitForAsync(() => sut.Engine.GetStatus("export").NextFireTime == Start.AddMinutes(5));
    }

    [Fact]
    public async Task A_later_daily_time_applies_today_in_its_time_zone()
    {
        // 02:30 in Berlin (01:30 UTC): 02:00 has passed today, 03:30 has not.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 1, 30, 0, TimeSpan.Zero));
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("report", Ok).Schedule(Schedule.DailyAt("02:00", "Europe/Berlin")), time);
        Assert.Equal(new DateTimeOffset(2026, 1, 6, 1, 0, 0, TimeSpan.Zero), sut.Engine.GetStatus("report").NextFireTime);

        var definition = await DefinitionsOf(sut).UpdateAsync("report", Set(JobDefinitionFields.DailyAt, "03:30"), null, null, default);

        await sut.Observer.WaitForAsync(() => sut.Engine.GetStatus("report").NextFireTime == new DateTimeOffset(2026, 1, 5, 2, 30, 0, TimeSpan.Zero));
        Assert.Equal("Europe/Berlin", definition[JobDefinitionFields.TimeZone].Value);
        Assert.Equal(JobDefinitionSource.Code, definition[JobDefinitionFields.TimeZone].Source);
    }

    [Fact]
    public async Task With_run_on_schedule_off_no_scheduled_run_fires_but_a_manual_one_runs()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", Ok).Schedule(Schedule.Every(TimeSpan.FromMinutes(10))));

        await DefinitionsOf(sut).UpdateAsync("export", Set(JobDefinitionFields.RunOnSchedule, "false"), null, null, default);
        await sut.Observer.WaitForAsync(() => sut.Engine.GetStatus("export").NextFireTime is null);
        for (var i = 0; i < 6; i++)
        {
            await sut.SettledAsync();
            sut.Time.Advance(TimeSpan.FromMinutes(10));
        }

        await sut.SettledAsync();
        sut.Engine.Trigger("export");
        await sut.WaitForRunsAsync("export", 1);
        await sut.Engine.WaitForIdleAsync("export", default).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([TriggerKind.Manual], sut.Runs.Select(r => r.Trigger));
    }

    [Fact]
    public async Task Cleanup_runs_per_day_changed_plans_the_cleanup_runs_again()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("submit", Ok).Schedule(Schedule.Automatic()));
        var definitions = DefinitionsOf(sut);
        Assert.NotNull(sut.Engine.GetStatus("submit").NextFireTime);

        await definitions.UpdateAsync("submit", Set(JobDefinitionFields.CleanupRunsPerDay, "0"), null, null, default);
        await sut.Observer.WaitForAsync(() => sut.Engine.GetStatus("submit").NextFireTime is null);

        await definitions.UpdateAsync("submit", Set(JobDefinitionFields.CleanupRunsPerDay, "24"), null, null, default);
        await sut.Observer.WaitForAsync(() => sut.Engine.GetStatus("submit").NextFireTime is { } next && next > Start && next <= Start.AddHours(1));
    }

    [Theory]
    [InlineData(JobDefinitionFields.RunOnSchedule, "maybe")]
    [InlineData(JobDefinitionFields.Interval, "00:00:00.5")]
    [InlineData(JobDefinitionFields.Interval, "ten minutes")]
    [InlineData(JobDefinitionFields.DailyAt, "25:00")]
    [InlineData(JobDefinitionFields.TimeZone, "Mars/Olympus_Mons")]
    [InlineData(JobDefinitionFields.Cron, "every tuesday")]
    [InlineData(JobDefinitionFields.CleanupRunsPerDay, "25")]
    [InlineData(JobDefinitionFields.BatchSize, "0")]
    [InlineData(JobDefinitionFields.BatchSize, "1e3")]
    [InlineData(JobDefinitionFields.MaxAge, "-1.00:00:00")]
    [InlineData(JobDefinitionFields.RetryWindowMaxRetries, "101")]
    [InlineData(JobDefinitionFields.RetryWindowWindow, "2.00:00:00")]
    [InlineData(JobDefinitionFields.MaxItemsToSkip, "-1")]
    [InlineData(JobDefinitionFields.UpdateStatus, "yes")]
    [InlineData(JobDefinitionFields.NotifyOnFailure, "1")]
    [InlineData(JobDefinitionFields.MaxArchivedRuns, "0")]
    [InlineData(JobDefinitionFields.HistoryRetention, "00:00:00")]
    [InlineData(JobDefinitionFields.MaxConcurrency, "1001")]
    [InlineData(JobDefinitionFields.Interval, "3000000.00:00:00")]
    [InlineData(JobDefinitionFields.MaxAge, "3000000.00:00:00")]
    [InlineData(JobDefinitionFields.HistoryRetention, "3000000.00:00:00")]
    [InlineData("MaxConcurency", "2")]
    public async Task An_invalid_value_is_refused_with_a_message_naming_job_and_setting_and_nothing_changes(string field, string value)
    {
        var store = new InMemoryJobStore();
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", Ok).Schedule(Schedule.Every(TimeSpan.FromMinutes(10))), services: s => s.AddSingleton<IJobStore>(store));
        var definitions = DefinitionsOf(sut);
        var before = definitions.Get("export");
        var options = sut.Engine.GetEntry("export").Options;

        // A valid field beside the bad one is not applied either: an update is all or nothing.
        var update = new Dictionary<string, string?> { [JobDefinitionFields.BatchSize == field ? JobDefinitionFields.MaxArchivedRuns : JobDefinitionFields.BatchSize] = "7", [field] = value };
        var refused = await Assert.ThrowsAsync<JobDefinitionValidationException>(async () => await definitions.UpdateAsync("export", update, before.Version, null, default));

        Assert.Equal("export", refused.JobName);
        var message = Assert.Single(refused.Errors);
        Assert.StartsWith("Job 'export': ", message, StringComparison.Ordinal);
        Assert.Contains(field.Split(':')[^1], message, StringComparison.Ordinal);
        Assert.Equal(before, definitions.Get("export"), DefinitionComparer.Instance);
        Assert.Same(options, sut.Engine.GetEntry("export").Options);
        Assert.Empty(await store.GetAsync(OperatorStateKinds.JobDefinition, default));
    }

    [Fact]
    public async Task An_update_against_a_stale_version_is_refused_and_nothing_changes()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", Ok));
        var definitions = DefinitionsOf(sut);
        var first = definitions.Get("export");

        var second = await definitions.UpdateAsync("export", Set(JobDefinitionFields.BatchSize, "500"), first.Version, "alice", default);
        var conflict = await Assert.ThrowsAsync<JobDefinitionConflictException>(async () => await definitions.UpdateAsync("export", Set(JobDefinitionFields.BatchSize, "7"), first.Version, "bob", default));
        await Assert.ThrowsAsync<JobDefinitionConflictException>(async () => await definitions.ResetAsync("export", first.Version, "bob", default));

        Assert.NotEqual(first.Version, second.Version);
        Assert.Equal(second.Version, conflict.CurrentVersion);
        Assert.Equal("500", definitions.Get("export")[JobDefinitionFields.BatchSize].Value);
        Assert.Equal("alice", definitions.Get("export").ChangedBy);
    }

    [Fact]
    public async Task Updates_are_partial_a_null_resets_one_field_and_reset_restores_every_declared_value()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Jobs:export:MaxItemsToSkip"] = "5" })
            .Build();
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.BindConfiguration(configuration);
            jobs.AddRecordJob<Order>("export").ReadFrom(new Cart()).DeliverTo(new ScriptedErp()).Batch(size: 50);
        });
        var definitions = DefinitionsOf(sut);

        await definitions.UpdateAsync("export", new Dictionary<string, string?> { [JobDefinitionFields.BatchSize] = "500", [JobDefinitionFields.MaxItemsToSkip] = "9", [JobDefinitionFields.MaxAge] = "7.00:00:00" }, null, null, default);
        var partial = await definitions.UpdateAsync("export", new Dictionary<string, string?> { [JobDefinitionFields.BatchSize] = null }, null, null, default);

        Assert.Equal(("50", JobDefinitionSource.Code), (partial[JobDefinitionFields.BatchSize].Value, partial[JobDefinitionFields.BatchSize].Source));
        Assert.Equal(("9", JobDefinitionSource.Override, "5"), (partial[JobDefinitionFields.MaxItemsToSkip].Value, partial[JobDefinitionFields.MaxItemsToSkip].Source, partial[JobDefinitionFields.MaxItemsToSkip].DeclaredValue));
        Assert.Equal(("7.00:00:00", JobDefinitionSource.Override), (partial[JobDefinitionFields.MaxAge].Value, partial[JobDefinitionFields.MaxAge].Source));
        Assert.Equal(9, sut.Engine.GetEntry("export").Options.MaxItemsToSkip);

        var reset = await definitions.ResetAsync("export", partial.Version, "carol", default);

        Assert.DoesNotContain(reset.Fields, f => f.Source == JobDefinitionSource.Override);
        Assert.Equal(("5", JobDefinitionSource.Configuration), (reset[JobDefinitionFields.MaxItemsToSkip].Value, reset[JobDefinitionFields.MaxItemsToSkip].Source));
        Assert.Null(reset[JobDefinitionFields.MaxAge].Value);
        Assert.Equal("carol", reset.ChangedBy);
        var options = sut.Engine.GetEntry("export").Options;
        Assert.Equal((50, 5, null), (options.BatchSize, options.MaxItemsToSkip, options.MaxAge));
    }

    [Fact]
    public async Task A_change_during_a_run_does_not_alter_that_run_and_the_next_run_uses_it()
    {
        var cart = new Cart(Enumerable.Range(1, 10).Select(i => new Order($"o{i}")));
        var target = new GatedTarget();
        await using var sut = TestEngine.Create(jobs => jobs.AddRecordJob<Order>("export").ReadFrom(cart).DeliverTo(target).ReportStatusTo(cart).Batch(size: 5));

        sut.Engine.Trigger("export");
        await target.FirstCall.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await DefinitionsOf(sut).UpdateAsync("export", Set(JobDefinitionFields.BatchSize, "2"), null, null, default);
        target.Release.TrySetResult();
        await sut.WaitForRunsAsync("export", 1);
        Assert.Equal([5, 5], target.TakeSizes());

        cart.Add(new Order("o11"));
        cart.Add(new Order("o12"));
        cart.Add(new Order("o13"));
        sut.Engine.Trigger("export");
        await sut.WaitForRunsAsync("export", 2);
        Assert.Equal([2, 1], target.TakeSizes());
    }

    [Fact]
    public async Task Raising_and_lowering_max_concurrency_while_runs_are_queued_drops_none()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = 0;
        var most = 0;
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.Configure(o => o.MaxConcurrentRuns = 1);
            jobs.AddJob("export", async (_, ct) =>
            {
                var now = Interlocked.Increment(ref running);
                InterlockedMax(ref most, now);
                started.TrySetResult();
                await gate.Task.WaitAsync(ct);
                Interlocked.Decrement(ref running);
                return JobResult.Success;
            });
        });
        var definitions = DefinitionsOf(sut);
        var handles = Enumerable.Range(0, 20).Select(_ => sut.Engine.Enqueue("export", null)).ToList();
        await started.Task.WaitAsync(TimeSpan.FromSeconds(30));

        try
        {
            // Room for ten: nine more go to the channel while the one worker is busy; none is turned away.
            await definitions.UpdateAsync("export", Set(JobDefinitionFields.MaxConcurrency, "10"), null, null, default);
            Assert.All(handles, h => Assert.False(h.Completion.IsFaulted));
            await definitions.UpdateAsync("export", Set(JobDefinitionFields.MaxConcurrency, "2"), null, null, default);
        }
        finally
        {
            gate.TrySetResult();
        }

        var results = await Task.WhenAll(handles.Select(h => h.Completion)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(results, r => Assert.Equal(JobOutcome.Succeeded, r.Outcome));
        Assert.Equal(20, sut.Runs.Count(r => r.JobName == "export"));
        Assert.Equal(1, most);   // one worker
    }

    [Fact]
    public async Task Failure_notifications_switched_off_at_run_time_reach_no_notifier()
    {
        var notifier = new RecordingNotifier();
        await using var sut = TestEngine.Create(
            jobs => jobs.AddJob("export", static (_, _) => ValueTask.FromResult(JobResult.Failed("ERP down"))),
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        await DefinitionsOf(sut).UpdateAsync("export", Set(JobDefinitionFields.NotifyOnFailure, "false"), null, null, default);
        sut.Engine.Trigger("export");
        await sut.WaitForRunsAsync("export", 1);
        await sut.NotifiedAsync();
        Assert.Empty(notifier.Failures);

        await DefinitionsOf(sut).UpdateAsync("export", Set(JobDefinitionFields.NotifyOnFailure, null), null, null, default);
        await sut.Engine.WaitForIdleAsync("export", default).WaitAsync(TimeSpan.FromSeconds(30));
        sut.Engine.Trigger("export");
        await sut.WaitForRunsAsync("export", 2);
        await sut.NotifiedAsync();
        Assert.Single(notifier.Failures);
    }

    internal static JobDefinitionService DefinitionsOf(TestEngine sut) => sut.Services.GetRequiredService<JobDefinitionService>();

    internal static Dictionary<string, string?> Set(string field, string? value) => new() { [field] = value };

    internal static ValueTask<JobResult> Ok(JobContext context, CancellationToken cancellationToken) => ValueTask.FromResult(JobResult.Success);

    private static void InterlockedMax(ref int location, int value)
    {
        for (var seen = Volatile.Read(ref location); value > seen; seen = Volatile.Read(ref location))
        {
            if (Interlocked.CompareExchange(ref location, value, seen) == seen)
            {
                return;
            }
        }
    }

    /// <summary>Compares definitions by value (their field lists are lists).</summary>
    internal sealed class DefinitionComparer : IEqualityComparer<EffectiveJobDefinition>
    {
        public static readonly DefinitionComparer Instance = new();

        public bool Equals(EffectiveJobDefinition? x, EffectiveJobDefinition? y)
            => x is not null && y is not null && x.Version == y.Version && x.ChangedAt == y.ChangedAt && x.ChangedBy == y.ChangedBy && x.Fields.SequenceEqual(y.Fields);

        public int GetHashCode(EffectiveJobDefinition obj) => obj.Version.GetHashCode(StringComparison.Ordinal);
    }

    /// <summary>A target that holds its first delivery until released, and keeps the size of every batch.</summary>
    private sealed class GatedTarget : IDeliveryTarget<Order>
    {
        private readonly List<int> _sizes = [];

        public TaskCompletionSource FirstCall { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int[] TakeSizes()
        {
            lock (_sizes)
            {
                int[] sizes = [.. _sizes];
                _sizes.Clear();
                return sizes;
            }
        }

        public async ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Order> batch, CancellationToken cancellationToken)
        {
            lock (_sizes)
            {
                _sizes.Add(batch.Count);
            }

            FirstCall.TrySetResult();
            await Release.Task.WaitAsync(cancellationToken);
            return DeliveryResult.Delivered;
        }
    }
}
