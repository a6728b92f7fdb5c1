using System.Collections.Concurrent;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>
/// An engine on a fake clock (seen through its own <see cref="TimerCountingClock"/>), started, with a way to await runs
/// and the engine's timers deterministically.
/// </summary>
internal sealed class TestEngine : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<JobRun> _runs = new();
    private readonly Lock _gate = new();
    private readonly List<(Func<IReadOnlyCollection<JobRun>, bool> Condition, TaskCompletionSource Done)> _waiters = [];

    private TestEngine(ServiceProvider services, FakeTimeProvider time, TimerCountingClock clock)
    {
        Services = services;
        Time = time;
        Clock = clock;
        Engine = services.GetRequiredService<JobEngine>();
        Engine.RunCompleted += OnRunCompleted;
        clock.Changed += OnClockChanged;
    }

    public ServiceProvider Services { get; }

    public FakeTimeProvider Time { get; }

    /// <summary>Gets the engine's view of <see cref="Time"/>, which counts the engine's timers.</summary>
    public TimerCountingClock Clock { get; }

    public JobEngine Engine { get; }

    public IReadOnlyCollection<JobRun> Runs => _runs;

    public static TestEngine Create(Action<CommerceJobsBuilder> configure, FakeTimeProvider? time = null, Action<IServiceCollection>? services = null, bool start = true)
    {
        time ??= new FakeTimeProvider(Start);
        var clock = new TimerCountingClock(time);
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddSingleton<TimeProvider>(clock);
        services?.Invoke(collection);
        collection.AddCommerceJobs(configure);
        var engine = new TestEngine(collection.BuildServiceProvider(), time, clock);
        if (start)
        {
            engine.Engine.Start();
        }

        return engine;
    }

    /// <summary>Waits until the finished runs (and the clock's timers) satisfy <paramref name="condition"/> (bounded, never sleeps).</summary>
    public Task WaitForAsync(Func<IReadOnlyCollection<JobRun>, bool> condition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (condition(_runs))
            {
                return Task.CompletedTask;
            }

            _waiters.Add((condition, done));
        }

        return done.Task.WaitAsync(Patience);
    }

    public Task WaitForRunsAsync(string job, int count) => WaitForAsync(runs => runs.Count(r => r.JobName == job) >= count);

    /// <summary>
    /// Waits until the engine has dealt with every timer that fired: its scheduler has armed its timer for the next fire.
    /// Advance the clock only then: advanced while the scheduler is between reading the clock and arming its timer (a
    /// busy machine can hold it there), the clock leaves the timer armed late and the next fire is missed.
    /// </summary>
    public Task SettledAsync() => WaitForAsync(_ => Clock.FiredTimers == 0);

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(CancellationToken.None);
        await Services.DisposeAsync();
    }

    private void OnRunCompleted(JobRun run)
    {
        lock (_gate)
        {
            _runs.Enqueue(run);
            CheckWaiters();
        }
    }

    private void OnClockChanged()
    {
        lock (_gate)
        {
            CheckWaiters();
        }
    }

    private void CheckWaiters()
    {
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Condition(_runs))
            {
                _waiters[i].Done.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }
}
