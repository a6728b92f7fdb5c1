using System.Collections.Concurrent;
using Commerce.Jobs.History;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Tests.Runners;

/// <summary>
/// The run path's costs: a run's room is freed before its history is written (its caller is still answered only after
/// the write), and a run makes a DI scope only when something resolves a service from it (a job type that needs none
/// is resolved from the root).
/// </summary>
public sealed class RunPathTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task The_next_run_starts_while_the_previous_runs_history_write_is_held_and_its_caller_is_answered_only_after_the_write()
    {
        var (store, hang) = HangingStore.Create(new InMemoryJobStore());
        using var unblock = hang;
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bodies = 0;
        var sut = TestEngine.Create(jobs =>
        {
            jobs.UseStore(_ => store);
            jobs.AddJob("price-export", (_, _) =>
            {
                if (Interlocked.Increment(ref bodies) == 2)
                {
                    secondStarted.TrySetResult();
                }

                return ValueTask.FromResult(JobResult.Success);
            }).MaxConcurrency(1);
        });

        try
        {
            var held = hang.Hold(nameof(IJobStore.AddRunAsync));
            var awaited = sut.Engine.RunAsync("price-export", null, Timeout.InfiniteTimeSpan, CancellationToken.None);
            await held;
            var idle = sut.Engine.WaitForIdleAsync("price-export", CancellationToken.None);

            // MaxConcurrency 1: the second run starts while the first one's history write is still held.
            var queued = sut.Engine.Enqueue("price-export", null);
            await secondStarted.Task.WaitAsync(Patience);

            // Neither caller is answered, nor the job idle, before its run is in the history.
            Assert.False(awaited.IsCompleted);
            Assert.False(queued.Completion.IsCompleted);
            Assert.False(idle.IsCompleted);

            hang.Release();
            Assert.Equal(JobOutcome.Succeeded, (await awaited.WaitAsync(Patience)).Outcome);
            Assert.Equal(JobOutcome.Succeeded, (await queued.Completion.WaitAsync(Patience)).Outcome);
            await idle.WaitAsync(Patience);
            var runs = await sut.Engine.GetRunsAsync("price-export", 10, CancellationToken.None);
            Assert.Contains(runs, r => r.Trigger == TriggerKind.OnDemand);
            Assert.Contains(runs, r => r.RunId == queued.RunId);
        }
        finally
        {
            hang.Release();
            await sut.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_stop_awaits_the_history_writes_in_flight_and_answers_their_callers()
    {
        var (store, hang) = HangingStore.Create(new InMemoryJobStore());
        using var unblock = hang;
        var sut = TestEngine.Create(jobs =>
        {
            jobs.UseStore(_ => store);
            jobs.AddJob("stock-sync", (_, _) => ValueTask.FromResult(JobResult.Success));
        });

        try
        {
            var held = hang.Hold(nameof(IJobStore.AddRunAsync));
            var queued = sut.Engine.Enqueue("stock-sync", null);
            await held;
            var stop = sut.Engine.StopAsync(CancellationToken.None);
            Assert.False(queued.Completion.IsCompleted);

            hang.Release();
            await stop.WaitAsync(Patience);
            Assert.True(queued.Completion.IsCompletedSuccessfully);
            Assert.Equal(JobOutcome.Succeeded, (await queued.Completion).Outcome);
            Assert.Single(await hang.Inner.GetRunsAsync("stock-sync", 10, CancellationToken.None));
        }
        finally
        {
            hang.Release();
            await sut.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_signalled_run_does_not_wait_for_the_previous_runs_history_write()
    {
        var (store, hang) = HangingStore.Create(new InMemoryJobStore());
        using var unblock = hang;
        var secondStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bodies = 0;
        var sut = TestEngine.Create(jobs =>
        {
            jobs.UseStore(_ => store);
            jobs.AddJob("inbox", (_, _) =>
            {
                if (Interlocked.Increment(ref bodies) == 2)
                {
                    secondStarted.TrySetResult();
                }

                return ValueTask.FromResult(JobResult.Success);
            }).Schedule(Schedule.Automatic(cleanupRunsPerDay: 0));
        });

        try
        {
            var held = hang.Hold(nameof(IJobStore.AddRunAsync));
            sut.Engine.Signal("inbox");
            await held;
            sut.Engine.Signal("inbox");
            await secondStarted.Task.WaitAsync(Patience);
            hang.Release();
            await sut.WaitForRunsAsync("inbox", 2);
        }
        finally
        {
            hang.Release();
            await sut.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_scoped_job_gets_one_scope_per_run_disposed_when_the_run_ends_and_a_singleton_job_type_is_shared()
    {
        var sut = TestEngine.Create(
            jobs =>
            {
                jobs.AddJob<ScopedJob>("scoped");
                jobs.AddJob<SingletonJob>("singleton");
            },
            services: s =>
            {
                s.AddScoped<Connection>();
                s.AddSingleton<SingletonJob>();
            });

        try
        {
            var first = await sut.Engine.RunAsync("scoped", null, Patience, CancellationToken.None);
            var second = await sut.Engine.RunAsync("scoped", null, Patience, CancellationToken.None);
            var (a, b) = ((Connection)first.Value!, (Connection)second.Value!);
            Assert.NotSame(a, b);
            Assert.True(a.Disposed && b.Disposed);
            Assert.True(a.SameInRun && b.SameInRun);

            var one = await sut.Engine.RunAsync("singleton", null, Patience, CancellationToken.None);
            var two = await sut.Engine.RunAsync("singleton", null, Patience, CancellationToken.None);
            Assert.Same(one.Value, two.Value);
            Assert.Same(sut.Services.GetRequiredService<SingletonJob>(), one.Value);
        }
        finally
        {
            await sut.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_run_makes_its_scope_only_when_a_service_is_resolved_once_for_all_threads_and_never_after_it_ended()
    {
        var factory = new CountingScopeFactory(new ServiceCollection().AddScoped<Connection>().BuildServiceProvider());
        var unused = new RunServices(factory);
        await unused.DisposeAsync();
        Assert.Equal(0, factory.Created);

        var used = new RunServices(factory);
        var resolved = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => used.GetRequiredService<Connection>())));

        // Threads racing to the first resolution may each make a scope: one is kept, the others are disposed at once.
        Assert.Equal(1, factory.Live);
        Assert.All(resolved, c => Assert.Same(resolved[0], c));
        Assert.Same(used.GetRequiredService<IServiceProvider>().GetRequiredService<Connection>(), resolved[0]);

        await used.DisposeAsync();
        Assert.True(resolved[0].Disposed);
        Assert.Throws<ObjectDisposedException>(() => used.GetService(typeof(Connection)));
        Assert.Equal(0, factory.Live);
        Assert.Equal(factory.Created, factory.Disposed);
    }

    private sealed class Connection : IDisposable
    {
        public bool Disposed { get; private set; }

        public bool SameInRun { get; set; }

        public void Dispose() => Disposed = true;
    }

    private sealed class ScopedJob(Connection connection, IServiceProvider services) : IIntegrationJob
    {
        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
        {
            connection.SameInRun = ReferenceEquals(connection, context.Services.GetRequiredService<Connection>())
                && ReferenceEquals(connection, services.GetRequiredService<Connection>());
            return ValueTask.FromResult(JobResult.Create(JobOutcome.Succeeded, null, connection, default));
        }
    }

    private sealed class SingletonJob : IIntegrationJob
    {
        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
            => ValueTask.FromResult(JobResult.Create(JobOutcome.Succeeded, null, this, default));
    }

    private sealed class CountingScopeFactory(IServiceProvider root) : IServiceScopeFactory
    {
        private int _created, _disposed;

        public int Created => Volatile.Read(ref _created);

        public int Disposed => Volatile.Read(ref _disposed);

        /// <summary>Gets the number of scopes made and not yet disposed.</summary>
        public int Live => Created - Disposed;

        public IServiceScope CreateScope()
        {
            Interlocked.Increment(ref _created);
            return new CountedScope(root.CreateScope(), this);
        }

        private sealed class CountedScope(IServiceScope scope, CountingScopeFactory factory) : IServiceScope
        {
            public IServiceProvider ServiceProvider => scope.ServiceProvider;

            public void Dispose()
            {
                Interlocked.Increment(ref factory._disposed);
                scope.Dispose();
            }
        }
    }
}
