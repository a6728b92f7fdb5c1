using System.Collections.Concurrent;
using Commerce.Jobs.EntitySync;
using Commerce.Jobs.Internal;

namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>
/// The engine's observer for tests (register it: <c>services.AddSingleton&lt;EngineObserver&gt;(observer)</c>): keeps
/// the finished runs, the delivery attempts and the entity-sync lanes it was told about, and completes waiters when what
/// it was told (or <see cref="Recheck"/>) makes their condition true. A waiter checks its condition when it registers,
/// under the same lock, so one that registers after the moment it waits for still completes.
/// </summary>
internal sealed class TestObserver : EngineObserver
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ConcurrentQueue<JobRun> _runs = new();
    private readonly ConcurrentQueue<(string Name, int Attempt, DateTimeOffset StartedAt)> _attempts = new();
    private readonly Lock _gate = new();
    private readonly List<EntitySyncLane> _lanes = [];
    private readonly List<(Func<bool> Condition, TaskCompletionSource Done)> _waiters = [];
    private int _laneIdleCalls;

    /// <summary>Gets the runs finished (and abandoned at shutdown), in the order the engine told them.</summary>
    public IReadOnlyCollection<JobRun> Runs => _runs;

    /// <summary>Gets every delivery attempt: the job (or entity type), 0 for a batch's first try, and when it started.</summary>
    public IReadOnlyCollection<(string Name, int Attempt, DateTimeOffset StartedAt)> Attempts => _attempts;

    /// <summary>Gets how many times a lane told it went idle.</summary>
    public int LaneIdleCalls => Volatile.Read(ref _laneIdleCalls);

    public override void RunCompleted(JobRun run)
    {
        _runs.Enqueue(run);
        Recheck();
    }

    public override void DeliveryAttempted(string name, int attempt, DateTimeOffset startedAt) => _attempts.Enqueue((name, attempt, startedAt));

    public override void LaneStarted(EntitySyncLane lane)
    {
        lock (_gate)
        {
            _lanes.Add(lane);
        }
    }

    public override void LaneIdle(EntitySyncLane lane)
    {
        Interlocked.Increment(ref _laneIdleCalls);
        Recheck();
    }

    /// <summary>Waits until <paramref name="condition"/> holds (bounded, never sleeps); it is checked now and after each thing told.</summary>
    public Task WaitForAsync(Func<bool> condition)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (condition())
            {
                return Task.CompletedTask;
            }

            _waiters.Add((condition, done));
        }

        return done.Task.WaitAsync(Patience);
    }

    /// <summary>
    /// Waits until every lane started is idle, all at the same moment as far as one pass over them can tell (one lane's
    /// full sync may publish to another after that one went idle; a lane removed or stopped counts as idle).
    /// </summary>
    public Task WhenLanesIdleAsync() => WaitForAsync(() => _lanes.TrueForAll(l => l.IsIdle));

    /// <summary>Waits until the lane of (<paramref name="entityType"/>, <paramref name="targetName"/>) has started and is idle.</summary>
    public Task WhenLaneIdleAsync(string entityType, string targetName) => WaitForAsync(() =>
    {
        var lanes = _lanes.FindAll(l => string.Equals(l.EntityType, entityType, StringComparison.OrdinalIgnoreCase) && string.Equals(l.TargetName, targetName, StringComparison.OrdinalIgnoreCase));
        return lanes.Count > 0 && lanes.TrueForAll(l => l.IsIdle);
    });

    /// <summary>Checks the waiters again: call when something they read changed outside the engine (a test clock's timers).</summary>
    public void Recheck()
    {
        lock (_gate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Condition())
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
