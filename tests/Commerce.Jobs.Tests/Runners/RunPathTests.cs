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
        Assert.Equal(1, factory.Created);
        Assert.All(resolved, c => Assert.Same(resolved[0], c));
        Assert.Same(used.GetRequiredService<IServiceProvider>().GetRequiredService<Connection>(), resolved[0]);

        await used.DisposeAsync();
        Assert.True(resolved[0].Disposed);
        Assert.Throws<ObjectDisposedException>(() => used.GetService(typeof(Connection)));
        Assert.Equal(1, factory.Created);
    }

    [Fact]
    public async Task The_worker_that_frees_a_jobs_room_does_not_run_the_jobs_next_run_before_a_run_that_waits_for_a_worker()
    {
        var order = new ConcurrentQueue<string>();
        var firstStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bodies = 0;
        var sut = TestEngine.Create(jobs =>
        {
            jobs.Configure(o => o.MaxConcurrentRuns = 1);
            jobs.AddJob("orders", async (_, cancellationToken) =>
            {
                if (Interlocked.Increment(ref bodies) == 1)
                {
                    firstStarted.TrySetResult();
                    await gate.Task.WaitAsync(Patience, cancellationToken);
                }

                order.Enqueue("orders");
                return JobResult.Success;
            }).MaxConcurrency(1);
            jobs.AddJob("stock", (_, _) =>
            {
                order.Enqueue("stock");
                return ValueTask.FromResult(JobResult.Success);
            });
        });

        try
        {
            var first = sut.Engine.Enqueue("orders", null);
            await firstStarted.Task.WaitAsync(Patience);
            var second = sut.Engine.Enqueue("orders", null);   // held: its job has no room
            var stock = sut.Engine.Enqueue("stock", null);     // waits in the channel for the one worker
            gate.SetResult();
            await Task.WhenAll(first.Completion, second.Completion, stock.Completion).WaitAsync(Patience);
            Assert.Equal(["orders", "stock", "orders"], order);

            // Nothing waiting for a worker: the job's held runs follow one another.
            var runs = Enumerable.Range(0, 20).Select(_ => sut.Engine.Enqueue("orders", null)).ToArray();
            await Task.WhenAll(runs.Select(r => r.Completion)).WaitAsync(Patience);
            Assert.All(runs, r => Assert.Equal(JobOutcome.Succeeded, r.Completion.Result.Outcome));
        }
        finally
        {
            await sut.DisposeAsync();
        }
    }

    [Fact]
    public void A_worker_keeps_at_most_its_share_of_runs_in_a_row_then_goes_through_the_channel_again()
    {
        var slot = new WorkerSlot();
        var entry = new JobEntry("orders", new JobOptions(), Schedule.Manual(), new DelegateJobDefinition("orders", (_, _) => ValueTask.FromResult(JobResult.Success)));
        var item = new WorkItem(entry, TriggerKind.Queued, null);
        for (var i = 0; i < WorkerSlot.MaxKeptInARow; i++)
        {
            Assert.True(slot.Keep(item));
            Assert.False(slot.Keep(item));   // one at most
            Assert.True(slot.TryTakeKept(out var kept));
            Assert.Same(entry, kept.Entry);
        }

        Assert.False(slot.Keep(item));       // its share taken: this one goes through the channel
        Assert.False(slot.TryTakeKept(out _));   // the worker reads the channel
        Assert.True(slot.Keep(item));
    }

    [Fact]
    public async Task A_transient_job_type_that_takes_only_singletons_makes_no_scope_and_is_still_made_for_every_run()
    {
        Assert.Equal(0, await ScopesMadeAsync<SingletonsJob>(s => s.AddSingleton<Clock>().AddOptions()));

        // Through the engine: a new instance per run (transient), the same singletons.
        var sut = TestEngine.Create(jobs => jobs.AddJob<SingletonsJob>("prices"), services: s => s.AddSingleton<Clock>());
        try
        {
            var one = (SingletonsJob)(await sut.Engine.RunAsync("prices", null, Patience, CancellationToken.None)).Value!;
            var two = (SingletonsJob)(await sut.Engine.RunAsync("prices", null, Patience, CancellationToken.None)).Value!;
            Assert.NotSame(one, two);
            Assert.Same(one.Clock, two.Clock);
        }
        finally
        {
            await sut.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_job_type_keeps_its_scope_whenever_it_or_what_it_takes_may_be_scoped_or_disposable()
    {
        Assert.Equal(1, await ScopesMadeAsync<ScopedJob>(s => s.AddScoped<Connection>()));                        // a scoped dependency, IServiceProvider
        Assert.Equal(1, await ScopesMadeAsync<TransientDependencyJob>(s => s.AddTransient<Clock>()));             // a transient dependency (its own may be scoped)
        Assert.Equal(1, await ScopesMadeAsync<SnapshotJob>(s => s.AddOptions()));                          // IOptionsSnapshot<T>: scoped
        Assert.Equal(1, await ScopesMadeAsync<DisposableJob>(_ => { }));                                          // owned and disposed by the scope
        Assert.Equal(1, await ScopesMadeAsync<SingletonsJob>(s => s.AddSingleton<Clock>().AddOptions().AddTransient(p => new SingletonsJob(p.GetRequiredService<Clock>(), p.GetRequiredService<ILogger<SingletonsJob>>(), p.GetRequiredService<IOptions<Clock>>()))));  // a factory
        Assert.Equal(1, await ScopesMadeAsync<SingletonsJob>(s => s.AddSingleton<Clock>().AddOptions().AddScoped<SingletonsJob>()));   // registered scoped
        Assert.Equal(1, await ScopesMadeAsync<SingletonsJob>(s => s.AddOptions().AddSingleton<Clock>().AddScoped<Clock>()));          // the last registration counts
        Assert.Equal(1, await ScopesMadeAsync<KeyedJob>(s => s.AddSingleton<Clock>().AddKeyedScoped<Clock>("utc")));                         // a keyed parameter
        Assert.Equal(1, await ScopesMadeAsync<TwoConstructorsJob>(s => s.AddSingleton<Clock>()));               // the container picks the constructor
        Assert.Equal(0, await ScopesMadeAsync<SingletonJob>(s => s.AddSingleton<SingletonJob>()));
    }

    /// <summary>How many scopes one run of <typeparamref name="TJob"/> makes, registered as <see cref="CommerceJobsBuilder.AddJob{TJob}(string)"/> does after <paramref name="register"/>.</summary>
    private static async Task<int> ScopesMadeAsync<TJob>(Action<IServiceCollection> register)
        where TJob : class, IIntegrationJob
    {
        var services = new ServiceCollection().AddLogging();
        register(services);
        services.TryAddTransient<TJob>();
        await using var root = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
        var executor = new PlainJobDefinition<TJob>("job", services).CreateExecutor(root, new JobOptions());
        var factory = new CountingScopeFactory(root);
        var runServices = new RunServices(factory);
        try
        {
            var result = await executor.ExecuteAsync(new JobContext("job", Guid.NewGuid(), TriggerKind.Manual, null, runServices, TimeProvider.System), CancellationToken.None);
            Assert.Equal(JobOutcome.Succeeded, result.Outcome);
        }
        finally
        {
            await runServices.DisposeAsync();
        }

        return factory.Created;
    }

    private sealed class Clock;

    private sealed class SingletonsJob(Clock clock, ILogger<SingletonsJob> logger, IOptions<Clock> options) : IIntegrationJob
    {
        public Clock Clock => clock;

        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(logger);
            ArgumentNullException.ThrowIfNull(options.Value);
            return ValueTask.FromResult(JobResult.Create(JobOutcome.Succeeded, null, this, default));
        }
    }

    private sealed class TransientDependencyJob(Clock clock) : IIntegrationJob
    {
        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken) => ValueTask.FromResult(JobResult.Create(JobOutcome.Succeeded, null, clock, default));
    }

    private sealed class SnapshotJob(IOptionsSnapshot<Clock> options) : IIntegrationJob
    {
        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken) => ValueTask.FromResult(JobResult.Create(JobOutcome.Succeeded, null, options.Value, default));
    }

    private sealed class DisposableJob : IIntegrationJob, IDisposable
    {
        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken) => ValueTask.FromResult(JobResult.Success);

        public void Dispose()
        {
        }
    }

    private sealed class KeyedJob([FromKeyedServices("utc")] Clock clock) : IIntegrationJob
    {
        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken) => ValueTask.FromResult(JobResult.Create(JobOutcome.Succeeded, null, clock, default));
    }

    private sealed class TwoConstructorsJob : IIntegrationJob
    {
        public TwoConstructorsJob(Clock clock) => Clock = clock;

        public TwoConstructorsJob(Clock clock, IServiceProvider services)
        {
            Clock = clock;
            ArgumentNullException.ThrowIfNull(services);
        }

        public Clock Clock { get; }

        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken) => ValueTask.FromResult(JobResult.Create(JobOutcome.Succeeded, null, Clock, default));
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
        private int _created;

        public int Created => Volatile.Read(ref _created);

        public IServiceScope CreateScope()
        {
            Interlocked.Increment(ref _created);
            return root.CreateScope();
        }
    }
}
