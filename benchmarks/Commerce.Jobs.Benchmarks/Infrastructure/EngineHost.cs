using Commerce.Jobs.Internal;
using Commerce.Jobs.Runners;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// An engine built in-process the way a host builds it (ServiceCollection + AddLogging + AddCommerceJobs), started,
/// with a count of finished runs (told by the engine to its <see cref="EngineObserver"/>) that benchmarks wait on.
/// </summary>
internal sealed class EngineHost : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly RunCounter _counter;

    private EngineHost(ServiceProvider services)
    {
        Services = services;
        _counter = services.GetRequiredService<RunCounter>();
        Engine = services.GetRequiredService<JobEngine>();
    }

    public ServiceProvider Services { get; }

    public JobEngine Engine { get; }

    /// <summary>Gets the number of runs finished since the engine started.</summary>
    public long Completed => _counter.Completed;

    public static EngineHost Create(Action<CommerceJobsBuilder> configure, TimeProvider? time = null, Action<IServiceCollection>? services = null, bool start = true)
        => FromServices(BuildServices(configure, time, services), start);

    /// <summary>The host's registrations, built into a provider; nothing of the engine is created yet.</summary>
    public static ServiceProvider BuildServices(Action<CommerceJobsBuilder> configure, TimeProvider? time = null, Action<IServiceCollection>? services = null)
    {
        var collection = new ServiceCollection();
        collection.AddLogging();
        if (time is not null)
        {
            collection.AddSingleton(time);
        }

        services?.Invoke(collection);

        // One counter per host; the engine resolves its observer once and calls it behind a null check, as it did the event.
        var counter = new RunCounter();
        collection.AddSingleton(counter);
        collection.AddSingleton<EngineObserver>(counter);
        collection.AddCommerceJobs(configure);
        return collection.BuildServiceProvider();
    }

    /// <summary>Resolves the engine (which creates every job's options, schedule and executor) and, by default, starts it.</summary>
    public static EngineHost FromServices(ServiceProvider services, bool start = true)
    {
        var host = new EngineHost(services);
        if (start)
        {
            host.Engine.Start();
        }

        return host;
    }

    /// <summary>Completes when <see cref="Completed"/> reaches <paramref name="total"/>. One wait at a time.</summary>
    public ValueTask WhenCompleted(long total) => _counter.WhenCompleted(total);

    /// <summary>Spins (yielding) until <see cref="Completed"/> reaches <paramref name="total"/>: used between invocations, not measured.</summary>
    public void SpinUntilCompleted(long total)
    {
        var start = Environment.TickCount64;
        var spinner = default(SpinWait);
        while (Completed < total)
        {
            spinner.SpinOnce(sleep1Threshold: -1);
            if (Environment.TickCount64 - start > Patience.TotalMilliseconds)
            {
                throw new TimeoutException($"Only {Completed} of {total} runs finished within {Patience}.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await Services.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Counts the runs the engine tells finished and signals the one waiter when the count reaches its target.</summary>
    private sealed class RunCounter : EngineObserver
    {
        private readonly ReusableSignal _reached = new();
        private long _completed;
        private long _target = long.MaxValue;

        public long Completed => Volatile.Read(ref _completed);

        public ValueTask WhenCompleted(long total)
        {
            Volatile.Write(ref _target, total);
            var wait = _reached.Arm();
            if (Completed >= total)
            {
                _reached.Set();
            }

            return wait;
        }

        public override void RunCompleted(JobRun run)
        {
            if (Interlocked.Increment(ref _completed) >= Volatile.Read(ref _target))
            {
                _reached.Set();
            }
        }
    }
}
