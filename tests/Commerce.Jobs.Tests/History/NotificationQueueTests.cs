using System.Collections.Concurrent;
using Commerce.Jobs.History;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.History;

public sealed class NotificationQueueTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_notifier_that_hangs_holds_no_run_and_is_cancelled_when_the_engine_stops()
    {
        var notifier = new HangingNotifier();
        var time = new TimerWatchingClock(TestEngine.Start);
        var sut = TestEngine.Create(
            jobs => jobs.AddJob("order-export", static (_, _) => ValueTask.FromResult(JobResult.Failed("ERP refused the login"))),
            time,
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));
        var queue = sut.Services.GetRequiredService<NotificationQueue>();

        for (var i = 1; i <= 3; i++)
        {
            sut.Engine.Trigger("order-export");
            await sut.WaitForRunsAsync("order-export", i);
        }

        await notifier.Entered.Task.WaitAsync(Patience);
        Assert.All(sut.Runs, r => Assert.Equal(JobOutcome.Failed, r.Outcome));

        // Stopping drains the queue within the shutdown bound (on the engine's clock), then cancels the notifier's token:
        // the clock is moved once the drain waits on it.
        var draining = time.WhenTimer(_ => queue.IsCompleted);
        var stop = sut.Engine.StopAsync(CancellationToken.None);
        time.Advance(await draining.WaitAsync(Patience));

        await stop.WaitAsync(Patience);
        await notifier.Cancelled.Task.WaitAsync(Patience);
        await sut.DisposeAsync();
    }

    [Fact]
    public async Task The_hosts_stop_token_fired_during_the_drain_leaves_the_notifiers_at_most_the_last_second()
    {
        var notifier = new HangingNotifier();
        var time = new TimerWatchingClock(TestEngine.Start);
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.Configure(o =>
                {
                    o.ShutdownTimeout = TimeSpan.FromMinutes(10);
                    o.ControlRefreshInterval = Timeout.InfiniteTimeSpan;
                });
                jobs.AddJob("order-export", static (_, _) => ValueTask.FromResult(JobResult.Failed("ERP down")));
            },
            time,
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));
        var queue = sut.Services.GetRequiredService<NotificationQueue>();
        sut.Engine.Trigger("order-export");
        await sut.WaitForRunsAsync("order-export", 1);
        await notifier.Entered.Task.WaitAsync(Patience);

        using var host = new CancellationTokenSource();
        var draining = time.WhenTimer(_ => queue.IsCompleted);
        var stop = sut.Engine.StopAsync(host.Token);
        Assert.Equal(TimeSpan.FromMinutes(10), await draining.WaitAsync(Patience));   // the rest of the grace period

        // The host's token fires during the drain: the notifiers get the last second more, not the grace period.
        var lastSecond = time.WhenTimer(due => due <= JobEngine.LastSecond);
        await host.CancelAsync();
        time.Advance(await lastSecond.WaitAsync(Patience));

        await stop.WaitAsync(Patience);
        await notifier.Cancelled.Task.WaitAsync(Patience);
        Assert.True(time.GetUtcNow() <= TestEngine.Start + JobEngine.LastSecond);
        await sut.DisposeAsync();
    }

    [Fact]
    public async Task A_success_after_a_failure_another_host_recorded_is_told_as_a_recovery_candidate()
    {
        var notifier = new RecordingNotifier();
        await using var sut = TestEngine.Create(
            jobs => jobs.AddJob("order-export", static (_, _) => ValueTask.FromResult(JobResult.Success)),
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));
        var failedElsewhere = new JobRun
        {
            RunId = Guid.NewGuid(),
            JobName = "order-export",
            Trigger = TriggerKind.Schedule,
            HostName = "web-02",
            StartedAt = TestEngine.Start.AddMinutes(-2),
            EndedAt = TestEngine.Start.AddMinutes(-1),
            Outcome = JobOutcome.Failed,
            Error = "ERP down",
        };
        await sut.Services.GetRequiredService<IRunHistoryStore>().AddRunAsync(failedElsewhere, CancellationToken.None);

        for (var i = 1; i <= 2; i++)
        {
            sut.Time.Advance(TimeSpan.FromSeconds(1));
            sut.Engine.Trigger("order-export");
            await sut.WaitForRunsAsync("order-export", i);
        }

        await sut.NotifiedAsync();
        Assert.Equal([sut.Runs.First().RunId], notifier.Recoveries.Select(r => r.RunId));   // the second follows a success
    }

    [Fact]
    public async Task A_full_queue_drops_a_notice_with_a_log_line_and_never_blocks_the_poster()
    {
        var notifier = new HangingNotifier();
        var logs = new ListLogger();
        using var queue = new NotificationQueue([notifier], new InMemoryJobStore(), Options.Create(new CommerceJobsOptions()), logs);
        queue.Start();
        queue.PostRun(Run("order-export", JobOutcome.Failed));
        await notifier.Entered.Task.WaitAsync(Patience);   // the reader holds one notice; the queue is empty again

        for (var i = 0; i < NotificationQueue.Capacity + 5; i++)
        {
            queue.PostRun(Run("order-export", JobOutcome.Failed));
        }

        Assert.Equal(NotificationQueue.Capacity, queue.Count);
        Assert.Equal(5, logs.Messages.Count(m => m.Contains("was dropped", StringComparison.Ordinal)));
        queue.Complete();
        await queue.AbandonAsync();
        await queue.Completion.WaitAsync(Patience);
    }

    [Fact]
    public async Task Stopping_the_engine_tells_the_notifiers_every_run_that_ended_before()
    {
        var notifier = new RecordingNotifier();
        var sut = TestEngine.Create(
            jobs => jobs.AddJob("order-export", static (_, _) => ValueTask.FromResult(JobResult.Failed("ERP down"))),
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));
        for (var i = 1; i <= 5; i++)
        {
            sut.Engine.Trigger("order-export");
            await sut.WaitForRunsAsync("order-export", i);
        }

        await sut.Engine.StopAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(5, notifier.Failures.Count);
        await sut.DisposeAsync();
    }

    [Fact]
    public async Task NotifyOnFailure_off_tells_no_notifier_about_the_job_whatever_else_is_set()
    {
        var notifier = new RecordingNotifier();
        await using var sut = TestEngine.Create(
            jobs =>
            {
                jobs.AddJob("quiet", static (_, _) => ValueTask.FromResult(JobResult.Failed("ERP down"))).NotifyOnFailure(false).NotifyOnEveryRun();
                jobs.AddJob("loud", static (_, _) => ValueTask.FromResult(JobResult.Failed("ERP down")));
            },
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        sut.Engine.Trigger("quiet");
        sut.Engine.Trigger("loud");
        await sut.WaitForRunsAsync("quiet", 1);
        await sut.WaitForRunsAsync("loud", 1);
        await sut.NotifiedAsync();

        Assert.Equal("loud", Assert.Single(notifier.Failures).JobName);
        Assert.True(new JobOptions().NotifyOnFailure);
    }

    [Fact]
    public async Task NotifyOnFailure_binds_from_configuration()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["Jobs:quiet:NotifyOnFailure"] = "false" })
            .Build();
        var services = new ServiceCollection().AddLogging();
        services.AddCommerceJobs(configuration, jobs => jobs.AddJob("quiet", static (_, _) => ValueTask.FromResult(JobResult.Success)));
        await using var provider = services.BuildServiceProvider();

        Assert.False(provider.GetRequiredService<IOptionsMonitor<JobOptions>>().Get("quiet").NotifyOnFailure);
    }

    [Fact]
    public async Task The_first_run_that_succeeds_after_a_notified_failure_is_told_as_a_recovery_once()
    {
        var outcomes = new ConcurrentQueue<JobResult>([
            JobResult.Success, JobResult.Failed("ERP down"), JobResult.Failed("ERP down"), JobResult.Success, JobResult.Success,
            JobResult.Failed("ERP down"), JobResult.Success,
        ]);
        var notifier = new RecordingNotifier();
        await using var sut = TestEngine.Create(
            jobs => jobs.AddJob("order-export", (_, _) => ValueTask.FromResult(outcomes.TryDequeue(out var r) ? r : JobResult.Success)),
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        for (var i = 1; i <= 7; i++)
        {
            sut.Engine.Trigger("order-export");
            await sut.WaitForRunsAsync("order-export", i);
        }

        await sut.NotifiedAsync();
        var runs = sut.Runs.ToList();
        Assert.Equal(3, notifier.Failures.Count);
        Assert.Equal([runs[3].RunId, runs[6].RunId], notifier.Recoveries.Select(r => r.RunId));
    }

    [Fact]
    public async Task A_success_is_checked_against_the_run_before_it_in_the_history_however_many_runs_ended_after_it()
    {
        var notifier = new RecordingNotifier();
        var store = new InMemoryJobStore();
        using var queue = new NotificationQueue([notifier], store, Options.Create(new CommerceJobsOptions()), new ListLogger());
        var (failed, success, later, latest) = (Run("stock-sync", JobOutcome.Failed), Run("stock-sync", JobOutcome.Succeeded), Run("stock-sync", JobOutcome.Succeeded), Run("stock-sync", JobOutcome.Succeeded));
        var alone = Run("price-export", JobOutcome.Succeeded);
        var unknown = Run("price-export", JobOutcome.Succeeded);
        foreach (var run in new[] { failed, success, later, latest, alone })
        {
            await store.AddRunAsync(run, CancellationToken.None);
        }

        queue.Start();
        queue.PostSucceeded(success);   // two runs ended after it: beyond the newest two
        queue.PostSucceeded(latest);    // follows a success
        queue.PostSucceeded(alone);     // the job's first run
        queue.PostSucceeded(unknown);   // not in the history: told, the notifiers decide
        await queue.FlushAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal([success.RunId, unknown.RunId], notifier.Recoveries.Select(r => r.RunId));
        queue.Complete();
        await queue.Completion.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_recovery_check_reads_no_runs_only_the_outcome_before_the_run()
    {
        var notifier = new RecordingNotifier();
        var store = new PredecessorOnlyStore(new InMemoryJobStore());
        using var queue = new NotificationQueue([notifier], store, Options.Create(new CommerceJobsOptions()), new ListLogger());
        var (failed, recovered, next) = (Run("stock-sync", JobOutcome.Failed), Run("stock-sync", JobOutcome.Succeeded), Run("stock-sync", JobOutcome.Succeeded));
        foreach (var run in new[] { failed, recovered, next })
        {
            await store.AddRunAsync(run, CancellationToken.None);
        }

        queue.Start();
        queue.PostSucceeded(recovered);
        queue.PostSucceeded(next);
        await queue.FlushAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal([recovered.RunId], notifier.Recoveries.Select(r => r.RunId));
        Assert.Equal(0, store.RunReads);   // no run (with its log) read for a recovery check
        queue.Complete();
        await queue.Completion.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_burst_of_successes_is_checked_with_one_store_call_per_job_and_told_in_the_order_posted()
    {
        var notifier = new SequenceNotifier();
        var store = new CountingStore(new InMemoryJobStore());
        using var queue = new NotificationQueue([notifier], store, Options.Create(new CommerceJobsOptions()), new ListLogger());

        // Two jobs, each failing now and then (recorded by another host: no failure notice here), their successes interleaved.
        var posted = new List<JobRun>();
        var expected = new List<Guid>();
        var previous = new Dictionary<string, JobOutcome>();
        for (var i = 0; i < 60; i++)
        {
            var job = i % 3 == 0 ? "price-export" : "stock-sync";
            var run = Run(job, i % 7 == 3 ? JobOutcome.Failed : JobOutcome.Succeeded);
            await store.AddRunAsync(run, CancellationToken.None);
            if (run.Outcome == JobOutcome.Succeeded)
            {
                posted.Add(run);
                if (previous.TryGetValue(job, out var before) && before == JobOutcome.Failed)
                {
                    expected.Add(run.RunId);
                }
            }

            previous[job] = run.Outcome;
        }

        foreach (var run in posted)
        {
            queue.PostSucceeded(run, Task.CompletedTask);   // all queued before the reader starts: one burst
        }

        queue.Start();
        await queue.FlushAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(expected, notifier.Told.Select(t => t.RunId));
        Assert.All(notifier.Told, t => Assert.Equal("recovered", t.Kind));
        Assert.Equal((2, 0, 0), (store.BurstReads, store.SingleReads, store.RunReads));   // one per job, none per run
        queue.Complete();
        await queue.Completion.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_failure_between_successes_of_a_burst_is_told_in_its_place_and_the_run_after_it_is_a_recovery()
    {
        var notifier = new SequenceNotifier();
        var store = new CountingStore(new InMemoryJobStore());
        using var queue = new NotificationQueue([notifier], store, Options.Create(new CommerceJobsOptions()), new ListLogger());
        var (first, failed, recovered, next) = (Run("stock-sync", JobOutcome.Succeeded), Run("stock-sync", JobOutcome.Failed), Run("stock-sync", JobOutcome.Succeeded), Run("stock-sync", JobOutcome.Succeeded));
        foreach (var run in new[] { first, failed, recovered, next })
        {
            await store.AddRunAsync(run, CancellationToken.None);
        }

        queue.PostSucceeded(first);
        queue.PostRun(failed);
        queue.PostSucceeded(recovered);
        queue.PostSucceeded(next);
        queue.Start();
        await queue.FlushAsync(CancellationToken.None).WaitAsync(Patience);

        Assert.Equal(new[] { ("failed", failed.RunId), ("recovered", recovered.RunId) }, notifier.Told);
        Assert.Equal(1, store.BurstReads);
        queue.Complete();
        await queue.Completion.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_failure_posted_before_a_success_of_its_burst_is_told_without_waiting_for_that_runs_history_write()
    {
        var notifier = new SequenceNotifier();
        var store = new CountingStore(new InMemoryJobStore());
        using var queue = new NotificationQueue([notifier], store, Options.Create(new CommerceJobsOptions()), new ListLogger());
        var (failed, recovered) = (Run("stock-sync", JobOutcome.Failed), Run("stock-sync", JobOutcome.Succeeded));
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await store.AddRunAsync(failed, CancellationToken.None);

        queue.PostRun(failed);
        queue.PostSucceeded(recovered, written.Task);   // its write still under way (a slow store)
        queue.Start();
        await notifier.FailureTold.Task.WaitAsync(Patience);

        Assert.Equal(0, store.BurstReads);   // the check waits for the write; the failure before it did not
        await store.AddRunAsync(recovered, CancellationToken.None);
        written.SetResult();
        await queue.FlushAsync(CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(new[] { ("failed", failed.RunId), ("recovered", recovered.RunId) }, notifier.Told);
        queue.Complete();
        await queue.Completion.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_success_whose_history_write_is_slow_holds_up_none_of_the_notices_posted_before_it()
    {
        var notifier = new SequenceNotifier();
        var store = new CountingStore(new InMemoryJobStore());
        using var queue = new NotificationQueue([notifier], store, Options.Create(new CommerceJobsOptions()), new ListLogger());
        var (failedBefore, first, failed, slow) = (Run("stock-sync", JobOutcome.Failed), Run("stock-sync", JobOutcome.Succeeded), Run("price-export", JobOutcome.Failed), Run("price-export", JobOutcome.Succeeded));
        foreach (var run in new[] { failedBefore, first, failed })
        {
            await store.AddRunAsync(run, CancellationToken.None);
        }

        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.PostSucceeded(first, Task.CompletedTask);
        queue.PostRun(failed);
        var flushed = queue.FlushAsync(CancellationToken.None);
        queue.PostSucceeded(slow, written.Task);   // its history write under way (a purge, a slow server)
        queue.Start();

        // Told while the slow run's write is still under way: the recovery and the failure before it, and the flush between.
        await notifier.FailureTold.Task.WaitAsync(Patience);
        await flushed.WaitAsync(Patience);
        Assert.Equal(new[] { ("recovered", first.RunId), ("failed", failed.RunId) }, notifier.Told);

        await store.AddRunAsync(slow, CancellationToken.None);
        written.SetResult();
        await queue.FlushAsync(CancellationToken.None).WaitAsync(Patience);
        Assert.Equal(new[] { ("recovered", first.RunId), ("failed", failed.RunId), ("recovered", slow.RunId) }, notifier.Told);
        queue.Complete();
        await queue.Completion.WaitAsync(Patience);
    }

    [Fact]
    public async Task A_reader_still_running_when_the_queue_is_disposed_checks_and_ends_without_a_fault()
    {
        var notifier = new SequenceNotifier();
        var logger = new ListLogger();
        var store = new CountingStore(new InMemoryJobStore());
        var queue = new NotificationQueue([notifier], store, Options.Create(new CommerceJobsOptions()), logger);
        var (failed, before, succeeded) = (Run("price-export", JobOutcome.Failed), Run("stock-sync", JobOutcome.Succeeded), Run("stock-sync", JobOutcome.Succeeded));
        await store.AddRunAsync(failed, CancellationToken.None);
        await store.AddRunAsync(before, CancellationToken.None);
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        queue.PostRun(failed);
        queue.PostSucceeded(succeeded, written.Task);
        queue.Start();
        await notifier.FailureTold.Task.WaitAsync(Patience);

        queue.Dispose();   // not abandoned: the reader goes on
        await store.AddRunAsync(succeeded, CancellationToken.None);
        written.SetResult();
        queue.Complete();
        await queue.Completion.WaitAsync(Patience);

        Assert.Equal(new[] { ("failed", failed.RunId) }, notifier.Told);   // the success follows a success: no recovery
        Assert.Equal(1, store.BurstReads);
        Assert.Empty(logger.Messages);
    }

    private static JobRun Run(string job, JobOutcome outcome) => new()
    {
        RunId = Guid.NewGuid(),
        JobName = job,
        Trigger = TriggerKind.Manual,
        HostName = "web-01",
        StartedAt = TestEngine.Start,
        EndedAt = TestEngine.Start,
        Outcome = outcome,
    };

    private sealed class HangingNotifier : IJobFailureNotifier
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask NotifyAsync(JobFailure failure, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                Cancelled.TrySetResult();
                throw;
            }
        }
    }

    /// <summary>A fake clock that tells when a timer matching a condition is made (and its due time): advance it then.</summary>
    private sealed class TimerWatchingClock(DateTimeOffset start) : FakeTimeProvider(start)
    {
        private Watch? _watch;

        public Task<TimeSpan> WhenTimer(Func<TimeSpan, bool> match)
        {
            var made = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _watch, new Watch(match, made));
            return made.Task;
        }

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = base.CreateTimer(callback, state, dueTime, period);
            if (dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan && Volatile.Read(ref _watch) is { } watch && watch.Match(dueTime))
            {
                watch.Made.TrySetResult(dueTime);
            }

            return timer;
        }

        private sealed record Watch(Func<TimeSpan, bool> Match, TaskCompletionSource<TimeSpan> Made);
    }

    /// <summary>A store that counts the runs read through <see cref="IRunHistoryStore.GetRunsAsync"/>.</summary>
    private sealed class PredecessorOnlyStore(InMemoryJobStore inner) : IRunHistoryStore
    {
        private int _runReads;

        public int RunReads => Volatile.Read(ref _runReads);

        public ValueTask AddRunAsync(JobRun run, CancellationToken cancellationToken) => inner.AddRunAsync(run, cancellationToken);

        public ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _runReads);
            return inner.GetRunsAsync(jobName, maxRuns, cancellationToken);
        }

        public ValueTask<RunPredecessor> GetPredecessorAsync(string jobName, Guid runId, CancellationToken cancellationToken) => inner.GetPredecessorAsync(jobName, runId, cancellationToken);

        public ValueTask<int> PurgeRunsAsync(string jobName, int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken) => inner.PurgeRunsAsync(jobName, keepLast, endedBefore, cancellationToken);
    }

    /// <summary>Records what it is told, in order: ("failed" or "recovered", the run's id).</summary>
    private sealed class SequenceNotifier : IJobFailureNotifier
    {
        private readonly ConcurrentQueue<(string Kind, Guid RunId)> _told = new();

        public IReadOnlyCollection<(string Kind, Guid RunId)> Told => _told;

        public TaskCompletionSource FailureTold { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask NotifyAsync(JobFailure failure, CancellationToken cancellationToken)
        {
            _told.Enqueue(("failed", failure.Run.RunId));
            FailureTold.TrySetResult();
            return ValueTask.CompletedTask;
        }

        public ValueTask NotifyRecoveredAsync(JobRun run, CancellationToken cancellationToken)
        {
            _told.Enqueue(("recovered", run.RunId));
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A store that counts its history reads: runs read, single predecessor look-ups, and look-ups of several runs at once.</summary>
    private sealed class CountingStore(InMemoryJobStore inner) : IRunHistoryStore
    {
        private int _runReads;
        private int _singleReads;
        private int _burstReads;

        public int RunReads => Volatile.Read(ref _runReads);

        public int SingleReads => Volatile.Read(ref _singleReads);

        public int BurstReads => Volatile.Read(ref _burstReads);

        public ValueTask AddRunAsync(JobRun run, CancellationToken cancellationToken) => inner.AddRunAsync(run, cancellationToken);

        public ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _runReads);
            return inner.GetRunsAsync(jobName, maxRuns, cancellationToken);
        }

        public ValueTask<RunPredecessor> GetPredecessorAsync(string jobName, Guid runId, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _singleReads);
            return inner.GetPredecessorAsync(jobName, runId, cancellationToken);
        }

        public ValueTask<IReadOnlyList<RunPredecessor>> GetPredecessorsAsync(string jobName, IReadOnlyList<Guid> runIds, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _burstReads);
            return inner.GetPredecessorsAsync(jobName, runIds, cancellationToken);
        }

        public ValueTask<int> PurgeRunsAsync(string jobName, int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken) => inner.PurgeRunsAsync(jobName, keepLast, endedBefore, cancellationToken);
    }

    private sealed class ListLogger : ILogger<NotificationQueue>
    {
        private readonly ConcurrentQueue<string> _messages = new();

        public IReadOnlyCollection<string> Messages => _messages;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => _messages.Enqueue(formatter(state, exception));
    }
}
