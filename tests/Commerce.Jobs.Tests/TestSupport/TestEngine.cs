using Commerce.Jobs.History;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>
/// An engine on a fake clock (seen through its own <see cref="TimerCountingClock"/>), started, with a way to await runs
/// and the engine's timers deterministically (through its <see cref="TestObserver"/>).
/// </summary>
internal sealed class TestEngine : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);
    private TestEngine(ServiceProvider services, FakeTimeProvider time, TimerCountingClock clock, TestObserver observer)
    {
        Services = services;
        Time = time;
        Clock = clock;
        Observer = observer;
        Engine = services.GetRequiredService<JobEngine>();
        clock.Changed += observer.Recheck;
    }

    public ServiceProvider Services { get; }

    public FakeTimeProvider Time { get; }

    /// <summary>Gets the engine's view of <see cref="Time"/>, which counts the engine's timers.</summary>
    public TimerCountingClock Clock { get; }

    public JobEngine Engine { get; }

    /// <summary>Gets the observer registered in <see cref="Services"/>: the runs, delivery attempts and lanes the engine told.</summary>
    public TestObserver Observer { get; }

    public IReadOnlyCollection<JobRun> Runs => Observer.Runs;

    public static TestEngine Create(Action<CommerceJobsBuilder> configure, FakeTimeProvider? time = null, Action<IServiceCollection>? services = null, bool start = true)
    {
        time ??= new FakeTimeProvider(Start);
        var clock = new TimerCountingClock(time);
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddSingleton<TimeProvider>(clock);
        var observer = new TestObserver();
        collection.AddSingleton<EngineObserver>(observer);
        services?.Invoke(collection);
        collection.AddCommerceJobs(configure);
        var engine = new TestEngine(collection.BuildServiceProvider(), time, clock, observer);
        if (start)
        {
            engine.Engine.Start();
        }

        return engine;
    }

    /// <summary>Waits until the finished runs (and the clock's timers) satisfy <paramref name="condition"/> (bounded, never sleeps).</summary>
    public Task WaitForAsync(Func<IReadOnlyCollection<JobRun>, bool> condition) => Observer.WaitForAsync(() => condition(Observer.Runs));

    public Task WaitForRunsAsync(string job, int count) => WaitForAsync(runs => runs.Count(r => r.JobName == job) >= count);

    /// <summary>
    /// Waits until the engine has dealt with every timer that fired: its scheduler has armed its timer for the next fire.
    /// Advance the clock only then: advanced while the scheduler is between reading the clock and arming its timer (a
    /// busy machine can hold it there), the clock leaves the timer armed late and the next fire is missed.
    /// </summary>
    public Task SettledAsync() => WaitForAsync(_ => Clock.FiredTimers == 0);

    /// <summary>Waits until the failure notifiers were told everything posted so far (they are called from a queue, off the run).</summary>
    public Task NotifiedAsync() => Services.GetRequiredService<NotificationQueue>().FlushAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(CancellationToken.None);
        await Services.DisposeAsync();
    }
}
