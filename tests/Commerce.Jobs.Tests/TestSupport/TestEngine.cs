using System.Collections.Concurrent;
using Commerce.Jobs.Runners;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>An engine on a fake clock, started, with a way to await runs deterministically.</summary>
internal sealed class TestEngine : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<JobRun> _runs = new();
    private readonly Lock _gate = new();
    private readonly List<(Func<IReadOnlyCollection<JobRun>, bool> Condition, TaskCompletionSource Done)> _waiters = [];

    private TestEngine(ServiceProvider services, FakeTimeProvider time)
    {
        Services = services;
        Time = time;
        Engine = services.GetRequiredService<JobEngine>();
        Engine.RunCompleted += OnRunCompleted;
    }

    public ServiceProvider Services { get; }

    public FakeTimeProvider Time { get; }

    public JobEngine Engine { get; }

    public IReadOnlyCollection<JobRun> Runs => _runs;

    public static TestEngine Create(Action<CommerceJobsBuilder> configure, FakeTimeProvider? time = null, Action<IServiceCollection>? services = null, bool start = true)
    {
        time ??= new FakeTimeProvider(Start);
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddSingleton<TimeProvider>(time);
        services?.Invoke(collection);
        collection.AddCommerceJobs(configure);
        var engine = new TestEngine(collection.BuildServiceProvider(), time);
        if (start)
        {
            engine.Engine.Start();
        }

        return engine;
    }

    /// <summary>Waits until the finished runs satisfy <paramref name="condition"/> (bounded, never sleeps).</summary>
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
}
