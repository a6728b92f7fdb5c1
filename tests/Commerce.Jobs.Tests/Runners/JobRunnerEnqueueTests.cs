using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Tests.Runners;

/// <summary><see cref="IJobRunner.Enqueue"/>: a queued run whose id is known before it begins.</summary>
public sealed class JobRunnerEnqueueTests
{
    [Fact]
    public async Task Enqueue_returns_the_id_the_run_is_recorded_under_as_a_queued_run()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", static (context, _) =>
        {
            context.Log(JobLogLevel.Information, $"run {context.RunId}");
            return ValueTask.FromResult(JobResult.Success);
        }));

        var handle = sut.Engine.Enqueue("EXPORT", null);
        var result = await handle.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        await sut.WaitForRunsAsync("export", 1);

        Assert.Equal("export", handle.JobName);
        Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        var run = Assert.Single(await sut.Engine.GetRunsAsync("export", 10, CancellationToken.None));
        Assert.Equal(handle.RunId, run.RunId);
        Assert.Equal(TriggerKind.Queued, run.Trigger);
        Assert.Equal($"run {handle.RunId}", Assert.Single(run.Log).Message);
    }

    [Fact]
    public async Task Queued_runs_are_never_coalesced_and_a_failure_is_notified()
    {
        var notifier = new RecordingNotifier();
        await using var sut = TestEngine.Create(
            jobs => jobs.AddJob("erp-check", static (_, _) => ValueTask.FromResult(JobResult.Failed("ERP down"))),
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        var handles = Enumerable.Range(0, 3).Select(_ => sut.Engine.Enqueue("erp-check", null)).ToList();
        await Task.WhenAll(handles.Select(h => h.Completion)).WaitAsync(TimeSpan.FromSeconds(30));
        await sut.WaitForRunsAsync("erp-check", 3);
        await sut.NotifiedAsync();

        Assert.Equal(3, handles.Select(h => h.RunId).Distinct().Count());
        Assert.Equal(handles.Select(h => h.RunId).Order(), sut.Runs.Select(r => r.RunId).Order());
        Assert.Equal(3, notifier.Failures.Count);
    }

    [Fact]
    public async Task A_paused_job_holds_a_queued_run_until_it_resumes()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", static (_, _) => ValueTask.FromResult(JobResult.Success)));
        sut.Engine.Pause("export");

        var handle = sut.Engine.Enqueue("export", null);
        Assert.False(handle.Completion.IsCompleted);
        Assert.Equal(JobState.Paused, sut.Engine.GetStatus("export").State);

        sut.Engine.Resume("export");
        Assert.Equal(JobOutcome.Succeeded, (await handle.Completion.WaitAsync(TimeSpan.FromSeconds(30))).Outcome);
    }

    [Fact]
    public async Task Unknown_and_disabled_jobs_are_refused()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", static (_, _) => ValueTask.FromResult(JobResult.Success)));

        var unknown = Assert.Throws<ArgumentException>(() => sut.Engine.Enqueue("import", null));
        Assert.Equal("jobName", unknown.ParamName);
        sut.Engine.Disable("export");
        Assert.Throws<InvalidOperationException>(() => sut.Engine.Enqueue("export", null));
    }

    [Fact]
    public async Task At_most_100_runs_wait_per_job_and_the_next_is_refused()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", static (_, _) => ValueTask.FromResult(JobResult.Success)));
        sut.Engine.Pause("export");

        var waiting = Enumerable.Range(0, 100).Select(_ => sut.Engine.Enqueue("export", null)).ToList();
        var refused = Assert.Throws<InvalidOperationException>(() => sut.Engine.Enqueue("export", null));

        Assert.Contains("100 runs waiting", refused.Message);
        sut.Engine.Resume("export");
        await Task.WhenAll(waiting.Select(h => h.Completion)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(JobOutcome.Succeeded, (await sut.Engine.Enqueue("export", null).Completion.WaitAsync(TimeSpan.FromSeconds(30))).Outcome);
    }

    [Fact]
    public async Task Runs_waiting_when_the_engine_stops_are_told_and_no_new_one_is_taken()
    {
        var sut = TestEngine.Create(jobs => jobs.AddJob("export", static (_, _) => ValueTask.FromResult(JobResult.Success)));
        sut.Engine.Pause("export");
        var waiting = sut.Engine.Enqueue("export", null);

        await sut.DisposeAsync();

        var dropped = await Assert.ThrowsAsync<InvalidOperationException>(() => waiting.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("stopping", dropped.Message);
        Assert.Throws<InvalidOperationException>(() => sut.Engine.Enqueue("export", null));
    }

    [Fact]
    public async Task Runs_asked_for_before_start_are_told_when_the_engine_stops_without_starting()
    {
        var sut = TestEngine.Create(jobs => jobs.AddJob("export", static (_, _) => ValueTask.FromResult(JobResult.Success)), start: false);
        var waiting = sut.Engine.Enqueue("export", null);

        await sut.DisposeAsync();

        await Assert.ThrowsAsync<InvalidOperationException>(() => waiting.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task Awaited_runs_stay_on_demand_and_are_not_notified()
    {
        var notifier = new RecordingNotifier();
        await using var sut = TestEngine.Create(
            jobs => jobs.AddJob("erp-check", static (_, _) => ValueTask.FromResult(JobResult.Failed("ERP down"))),
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        var failed = await Assert.ThrowsAsync<JobRunFailedException>(() => sut.Engine.RunAsync("erp-check", null, TimeSpan.FromSeconds(30), CancellationToken.None));
        await sut.WaitForRunsAsync("erp-check", 1);
        await sut.NotifiedAsync();

        Assert.Equal(JobOutcome.Failed, failed.Result.Outcome);
        Assert.Equal(TriggerKind.OnDemand, Assert.Single(sut.Runs).Trigger);
        Assert.Empty(notifier.Failures);
    }

    [Fact]
    public async Task A_caller_is_answered_once_the_run_is_the_monitors_last_run()
    {
        await using var sut = TestEngine.Create(jobs => jobs.AddJob("export", static (_, _) => ValueTask.FromResult(JobResult.Success)));

        for (var i = 1; i <= 50; i++)
        {
            var handle = i % 2 == 0 ? sut.Engine.Enqueue("export", null) : null;
            var result = handle is null
                ? await sut.Engine.RunAsync("export", null, TimeSpan.FromSeconds(30), CancellationToken.None)
                : await handle.Completion.WaitAsync(TimeSpan.FromSeconds(30));

            var status = sut.Engine.GetStatus("export");
            Assert.Equal(JobOutcome.Succeeded, result.Outcome);
            Assert.Equal(i, status.RunCount);
            Assert.NotNull(status.LastRun);
            Assert.Equal(JobState.Idle, status.State);
        }
    }
}
