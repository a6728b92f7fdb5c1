using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>
/// A fake clock that jumps to the due time of every finite timer as soon as it is created, so code that waits
/// (retry delays) runs at once while the clock reads exactly what it would have read. Use it only where the one
/// timer at a time is the code under test's own wait.
/// </summary>
internal sealed class AutoAdvanceTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan && dueTime > TimeSpan.Zero)
        {
            ThreadPool.QueueUserWorkItem(_ => Advance(dueTime));
        }

        return timer;
    }
}
