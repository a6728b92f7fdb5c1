using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// A fake clock whose timers report every <see cref="ITimer.Change"/>: the engine's scheduler re-arms its one timer at
/// the end of each pass over the due fires, so <see cref="Rearmed"/> completes when a pass is done.
/// </summary>
internal sealed class ObservedTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private int _timersCreated;

    public ReusableSignal Rearmed { get; } = new();

    /// <summary>Gets how many timers were created on this clock (the engine's scheduler should need one, whatever the job count).</summary>
    public int TimersCreated => Volatile.Read(ref _timersCreated);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        Interlocked.Increment(ref _timersCreated);
        return new ObservedTimer(base.CreateTimer(callback, state, dueTime, period), Rearmed);
    }

    private sealed class ObservedTimer(ITimer inner, ReusableSignal rearmed) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            var changed = inner.Change(dueTime, period);
            rearmed.Set();
            return changed;
        }

        public void Dispose() => inner.Dispose();

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
