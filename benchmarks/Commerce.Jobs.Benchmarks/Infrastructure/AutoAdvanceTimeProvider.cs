using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// A fake clock that jumps to the due time of every finite timer as soon as it is created (the idea of the tests'
/// AutoAdvanceTimeProvider), so retry delays cost no real waiting while the clock reads what it would have read.
/// Use it only where the one timer at a time is the code's own wait (retry delays), never with timed runs.
/// </summary>
internal sealed class AutoAdvanceTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan && dueTime > TimeSpan.Zero)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Clock.Advance(s.Due), (Clock: this, Due: dueTime), preferLocal: false);
        }

        return timer;
    }
}
