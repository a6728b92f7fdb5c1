using Commerce.Jobs.EntitySync;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.EntitySync;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Tests.BuiltIn;

public sealed class BuiltInJobTests
{
    [Fact]
    public async Task Job_status_report_lists_every_job_as_text_and_as_data()
    {
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.AddJob("product-refresh", (_, _) => ValueTask.FromResult(JobResult.Failed("PIM timeout"))).Schedule(Schedule.Every(TimeSpan.FromHours(1)));
            jobs.AddJobStatusReport();
        });

        sut.Engine.Trigger("product-refresh");
        await sut.WaitForRunsAsync("product-refresh", 1);
        var result = await sut.Engine.RunAsync("job-status-report", null, TimeSpan.FromSeconds(5), CancellationToken.None);

        var report = Assert.IsType<JobStatusReport>(result.Value);
        var refresh = Assert.Single(report.Jobs, j => j.JobName == "product-refresh");
        Assert.Equal(JobOutcome.Failed, refresh.LastRun!.Outcome);
        Assert.Equal(1, refresh.ConsecutiveFailures);
        Assert.Equal(TestEngine.Start.AddHours(1), refresh.NextFireTime);
        var text = report.ToText();
        Assert.Contains("product-refresh", text);
        Assert.Contains("product-refresh: PIM timeout", text);
        var run = (await sut.Engine.GetRunsAsync("job-status-report", 1, CancellationToken.None)).Single();
        Assert.Contains(run.Log, l => l.Message.Contains("product-refresh", StringComparison.Ordinal));
    }

    [Fact]
    public async Task History_keeps_the_last_N_runs_per_job()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("tick", (_, _) => ValueTask.FromResult(JobResult.Success)).KeepHistory(maxArchivedRuns: 3, retention: TimeSpan.FromDays(1)));

        for (var i = 1; i <= 7; i++)
        {
            sut.Engine.Trigger("tick");
            await sut.WaitForRunsAsync("tick", i);
        }

        var history = await sut.Engine.GetRunsAsync("tick", 100, CancellationToken.None);
        Assert.InRange(history.Count, 3, 5);
        Assert.Equal(sut.Runs.Last().RunId, history[0].RunId);
    }

    [Fact]
    public async Task Nightly_maintenance_purges_history_past_retention_and_runs_host_steps()
    {
        var steps = new StepCounter();
        await using var sut = TestEngine.Create(
            jobs =>
            {
                jobs.AddJob("tick", (_, _) => ValueTask.FromResult(JobResult.Success)).KeepHistory(maxArchivedRuns: 100, retention: TimeSpan.FromDays(7));
                jobs.AddNightlyMaintenance();
                jobs.AddMaintenanceStep<CountingStep>();
            },
            services: s => s.AddSingleton(steps));

        Assert.Equal("daily at 02:00", sut.Engine.GetStatus("nightly-maintenance").Schedule);
        sut.Engine.Trigger("tick");
        await sut.WaitForRunsAsync("tick", 1);
        sut.Time.Advance(TimeSpan.FromDays(8));
        await sut.WaitForRunsAsync("nightly-maintenance", 1);

        Assert.Empty(await sut.Engine.GetRunsAsync("tick", 10, CancellationToken.None));
        Assert.True(steps.Runs >= 1);
        var maintenance = (await sut.Engine.GetRunsAsync("nightly-maintenance", 1, CancellationToken.None)).Single();
        Assert.Contains(maintenance.Log, l => l.Message.StartsWith("Purged 1 runs", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Nightly_maintenance_purges_entity_tombstones_past_each_types_retention()
    {
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.AddTarget(new RecordingTarget("search"));
            jobs.AddEntitySync("categories").DeliverTo("search").Configure(o => o.TombstoneRetention = TimeSpan.FromDays(7));
            jobs.AddEntitySync("buyers").DeliverTo("search");   // the default retention, 30 days
            jobs.AddNightlyMaintenance();
        });
        var sync = sut.Services.GetRequiredService<EntitySyncService>();
        await sync.StartAsync(CancellationToken.None);
        var store = sut.Services.GetRequiredService<IEntitySyncStore>();
        var start = sut.Time.GetUtcNow();
        await DeliverAsync([EntityChange.Delete("categories", "old", 1), EntityChange.Upsert("categories", "kept", null, 1), EntityChange.Delete("buyers", "old", 1)], start);
        await DeliverAsync([EntityChange.Delete("categories", "recent", 1)], start.AddDays(2));

        sut.Time.Advance(TimeSpan.FromDays(8));
        await sut.WaitForRunsAsync("nightly-maintenance", 1);

        Assert.Equal(["kept", "recent"], (await store.GetDeliveredEntityVersionsAsync("categories", "search", CancellationToken.None)).Keys.Order(StringComparer.Ordinal));
        Assert.Single(await store.GetDeliveredEntityVersionsAsync("buyers", "search", CancellationToken.None));
        var maintenance = (await sut.Engine.GetRunsAsync("nightly-maintenance", 1, CancellationToken.None)).Single();
        Assert.Contains(maintenance.Log, l => l.Message.StartsWith("Purged 1 entity tombstones", StringComparison.Ordinal));
        await sync.StopAsync(new CancellationToken(canceled: true));

        // Completed as delivered at a time (by an owner that holds none of them: the store records them, no lane is involved).
        async Task DeliverAsync(IReadOnlyList<EntityChange> changes, DateTimeOffset at)
        {
            foreach (var group in changes.GroupBy(c => c.EntityType))
            {
                await store.CompleteEntityChangesAsync(group.Key, "search", "test", [.. group.Select(c => new EntityChangeCompletion(c, RecordStatus.Delivered))], at, at, CancellationToken.None);
            }
        }
    }

    [Fact]
    public async Task Cleanup_runs_of_an_automatic_job_fire_on_their_own()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("order-submit", (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.Automatic(cleanupRunsPerDay: 2)));

        var next = sut.Engine.GetStatus("order-submit").NextFireTime!.Value;
        sut.Time.Advance(next - sut.Time.GetUtcNow());
        await sut.WaitForRunsAsync("order-submit", 1);

        Assert.Equal(TriggerKind.Cleanup, sut.Runs.Single().Trigger);
    }

    private sealed class StepCounter
    {
        private int _runs;

        public int Runs => Volatile.Read(ref _runs);

        public void Add() => Interlocked.Increment(ref _runs);
    }

    private sealed class CountingStep(StepCounter counter) : INightlyMaintenanceStep
    {
        public ValueTask RunAsync(JobContext context, CancellationToken cancellationToken)
        {
            counter.Add();
            return ValueTask.CompletedTask;
        }
    }
}
