using System.Collections.Concurrent;
using Commerce.Jobs.History;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Tests.Runners;

/// <summary>
/// A run's room is freed before its history write completes: what must still follow the order runs end (the store's
/// writes, the failure notices) does, writes under way are bounded, and a write whose failure cannot even be logged
/// still answers its caller.
/// </summary>
public sealed class RunRecordOrderTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_failure_then_a_success_whose_writes_commit_in_reverse_order_are_told_failed_then_recovered()
    {
        // A group commit completes its writes in order, but their continuations may run in any order: here the
        // success's write completes (and what follows it runs) before the failure's.
        var held = new ConcurrentDictionary<Guid, TaskCompletionSource>();
        var bothHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = AddRunHookStore.Create(new InMemoryJobStore(), async (run, write) =>
        {
            await write();
            var commit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            held[run.RunId] = commit;
            if (held.Count == 2)
            {
                bothHeld.TrySetResult();
            }

            await commit.Task;
        });
        var notifier = new OrderNotifier();
        var bodies = 0;
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.UseStore(_ => store);
                jobs.AddJob("price-export", (_, _) => Interlocked.Increment(ref bodies) == 1
                    ? throw new InvalidOperationException("ERP down")
                    : ValueTask.FromResult(JobResult.Success)).MaxConcurrency(1);
            },
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        try
        {
            var failed = sut.Engine.Enqueue("price-export", null);
            var succeeded = sut.Engine.Enqueue("price-export", null);
            await bothHeld.Task.WaitAsync(Patience);

            held[succeeded.RunId].SetResult();
            Assert.Equal(JobOutcome.Succeeded, (await succeeded.Completion.WaitAsync(Patience)).Outcome);
            held[failed.RunId].SetResult();
            Assert.Equal(JobOutcome.Failed, (await failed.Completion.WaitAsync(Patience)).Outcome);
            await sut.NotifiedAsync();

            Assert.Equal(["Failed " + failed.RunId, "Recovered " + succeeded.RunId], notifier.Told);
        }
        finally
        {
            foreach (var commit in held.Values)
            {
                commit.TrySetResult();
            }

            await sut.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_MaxConcurrency_1_jobs_runs_reach_the_store_in_the_order_they_ended()
    {
        const int Runs = 300;
        var written = new ConcurrentQueue<Guid>();
        var ended = new ConcurrentQueue<Guid>();
        var store = AddRunHookStore.Create(new InMemoryJobStore(), (run, write) =>
        {
            written.Enqueue(run.RunId);
            return write();
        });
        var sut = TestEngine.Create(jobs =>
        {
            jobs.Configure(o => o.MaxConcurrentRuns = 4);
            jobs.UseStore(_ => store);
            jobs.AddJob("stock-sync", (ctx, _) =>
            {
                ended.Enqueue(ctx.RunId);
                return ValueTask.FromResult(JobResult.Success);
            }).MaxConcurrency(1);
        });

        try
        {
            var handles = new List<Task<JobResult>>();
            for (var i = 0; i < Runs; i++)
            {
                handles.Add((await sut.Engine.EnqueueAsync("stock-sync", null, CancellationToken.None)).Completion);
            }

            await Task.WhenAll(handles).WaitAsync(Patience);
            Assert.Equal(ended, written);
        }
        finally
        {
            await sut.DisposeAsync();
        }
    }

    [Fact]
    public async Task Past_the_cap_of_writes_under_way_a_worker_awaits_its_own_write_before_its_next_run()
    {
        var held = new ConcurrentQueue<TaskCompletionSource>();
        var writes = 0;
        var thirdHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var fourthHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = AddRunHookStore.Create(new InMemoryJobStore(), async (run, write) =>
        {
            var commit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            held.Enqueue(commit);
            var n = Interlocked.Increment(ref writes);
            (n == 3 ? thirdHeld : n == 4 ? fourthHeld : null)?.TrySetResult();
            await commit.Task;
            await write();
        });
        var committed = 0;
        var committedSeenByRun = new ConcurrentDictionary<int, int>();
        var bodies = 0;
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.Configure(o => o.MaxConcurrentRuns = 1);
                jobs.UseStore(_ => store);
                jobs.AddJob("order-export", (_, _) =>
                {
                    committedSeenByRun[Interlocked.Increment(ref bodies)] = Volatile.Read(ref committed);
                    return ValueTask.FromResult(JobResult.Success);
                });
            },
            start: false);
        sut.Engine.MaxRecordsInFlight = 2;
        sut.Engine.Start();

        try
        {
            var handles = new List<Task<JobResult>>();
            for (var i = 0; i < 4; i++)
            {
                handles.Add(sut.Engine.Enqueue("order-export", null).Completion);
            }

            // Two writes may be under way; the third run's worker awaits its own write before it takes the fourth run.
            await thirdHeld.Task.WaitAsync(Patience);
            Volatile.Write(ref committed, 1);
            held.ToArray()[2].SetResult();
            await fourthHeld.Task.WaitAsync(Patience);
            Assert.Equal(0, committedSeenByRun[3]);
            Assert.Equal(1, committedSeenByRun[4]);

            foreach (var commit in held)
            {
                commit.TrySetResult();
            }

            await Task.WhenAll(handles).WaitAsync(Patience);
            await sut.Engine.WaitForIdleAsync("order-export", CancellationToken.None).WaitAsync(Patience);
        }
        finally
        {
            foreach (var commit in held)
            {
                commit.TrySetResult();
            }

            await sut.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_failed_history_write_whose_log_line_throws_still_answers_the_caller_and_lets_the_job_go_idle()
    {
        var store = AddRunHookStore.Create(new InMemoryJobStore(), (_, _) => ValueTask.FromException(new InvalidOperationException("disk full")));
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.UseStore(_ => store);
                jobs.AddJob("price-export", (_, _) => ValueTask.FromResult(JobResult.Success));
            },
            services: s => s.AddSingleton<ILoggerProvider>(new ThrowingOnStoreFailedProvider()));

        try
        {
            var result = await sut.Engine.RunAsync("price-export", null, Timeout.InfiniteTimeSpan, CancellationToken.None).WaitAsync(Patience);
            Assert.Equal(JobOutcome.Succeeded, result.Outcome);
            await sut.Engine.WaitForIdleAsync("price-export", CancellationToken.None).WaitAsync(Patience);
        }
        finally
        {
            // Bounded: a write never counted done would keep the stop (on the test's clock) waiting for it.
            await sut.DisposeAsync().AsTask().WaitAsync(Patience);
        }
    }

    /// <summary>Keeps what it was told, failures and recoveries, in one list in the order told.</summary>
    private sealed class OrderNotifier : IJobFailureNotifier
    {
        public List<string> Told { get; } = [];

        public ValueTask NotifyAsync(JobFailure failure, CancellationToken cancellationToken)
        {
            lock (Told)
            {
                Told.Add("Failed " + failure.Run!.RunId);
            }

            return ValueTask.CompletedTask;
        }

        public ValueTask NotifyRecoveredAsync(JobRun run, CancellationToken cancellationToken)
        {
            lock (Told)
            {
                Told.Add("Recovered " + run.RunId);
            }

            return ValueTask.CompletedTask;
        }
    }

    /// <summary>A logger whose store-failure line throws (a broken sink), every other line is dropped.</summary>
    private sealed class ThrowingOnStoreFailedProvider : ILoggerProvider, ILogger
    {
        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (eventId.Name == "StoreFailed")
            {
                throw new InvalidOperationException("The log sink is down.");
            }
        }

        public void Dispose()
        {
        }
    }
}
