using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>
/// A fake clock that tells when a timer is armed, so a test advances it only once the code waits on it (a refresh pass
/// re-armed, a bounded wait started) instead of polling.
/// </summary>
internal sealed class WatchedTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Lock _gate = new();
    private readonly Dictionary<TimeSpan, int> _armed = [];
    private readonly List<(TimeSpan Due, int Count, TaskCompletionSource Armed)> _waiters = [];

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        List<TaskCompletionSource> armed = [];
        lock (_gate)
        {
            var count = _armed[dueTime] = _armed.GetValueOrDefault(dueTime) + 1;
            foreach (var waiter in _waiters.Where(w => w.Due == dueTime && w.Count <= count).ToList())
            {
                _waiters.Remove(waiter);
                armed.Add(waiter.Armed);
            }
        }

        armed.ForEach(a => a.TrySetResult());
        return timer;
    }

    /// <summary>Gets how many timers due after <paramref name="due"/> were armed so far.</summary>
    public int Armed(TimeSpan due)
    {
        lock (_gate)
        {
            return _armed.GetValueOrDefault(due);
        }
    }

    /// <summary>Completes when the <paramref name="count"/>-th timer due after <paramref name="due"/> is armed (bounded: fails after 30 s of real time).</summary>
    public Task WhenArmedAsync(TimeSpan due, int count)
    {
        lock (_gate)
        {
            if (_armed.GetValueOrDefault(due) >= count)
            {
                return Task.CompletedTask;
            }

            var armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((due, count, armed));
            return armed.Task.WaitAsync(Patience);
        }
    }
}
