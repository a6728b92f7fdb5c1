using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>
/// A fake clock that jumps to the due time of every finite timer as soon as it is created, so code that waits
/// (retry delays) runs at once while the clock reads exactly what it would have read. Use it only where the one
/// timer at a time is the code under test's own wait.
/// </summary>
/// <remarks>
/// The jump is to the timer's due time as an instant (the clock when it was made plus its due time), never past it: two
/// timers made one after the other towards one deadline (each due "deadline − now") move the clock to that deadline
/// once, however late the thread pool runs the jumps (moving by each due time would add them up).
/// </remarks>
internal sealed class AutoAdvanceTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly Lock _jump = new();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var due = GetUtcNow() + (dueTime == Timeout.InfiniteTimeSpan ? TimeSpan.Zero : dueTime);
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime != Timeout.InfiniteTimeSpan && dueTime > TimeSpan.Zero)
        {
            ThreadPool.QueueUserWorkItem(_ =>
            {
                lock (_jump)
                {
                    if (due > GetUtcNow())
                    {
                        SetUtcNow(due);
                    }
                }
            });
        }

        return timer;
    }
}
