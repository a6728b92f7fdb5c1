using Commerce.Jobs.Runners;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// An engine built in-process the way a host builds it (ServiceCollection + AddLogging + AddCommerceJobs), started,
/// with a count of finished runs (the engine's <c>RunCompleted</c> event) that benchmarks wait on.
/// </summary>
internal sealed class EngineHost : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly ReusableSignal _reached = new();
    private long _completed;
    private long _target = long.MaxValue;

    private EngineHost(ServiceProvider services)
    {
        Services = services;
        Engine = services.GetRequiredService<JobEngine>();
        Engine.RunCompleted += OnRunCompleted;
    }

    public ServiceProvider Services { get; }

    public JobEngine Engine { get; }

    /// <summary>Gets the number of runs finished since the engine started.</summary>
    public long Completed => Volatile.Read(ref _completed);

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
        Engine.RunCompleted -= OnRunCompleted;
        await Engine.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await Services.DisposeAsync().ConfigureAwait(false);
    }

    private void OnRunCompleted(JobRun run)
    {
        if (Interlocked.Increment(ref _completed) >= Volatile.Read(ref _target))
        {
            _reached.Set();
        }
    }
}
