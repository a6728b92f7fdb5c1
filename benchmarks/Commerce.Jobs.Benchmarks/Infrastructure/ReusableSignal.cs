using System.Threading.Tasks.Sources;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// A completion that is armed, awaited and set once per benchmark invocation without allocating: a
/// <see cref="ManualResetValueTaskSourceCore{TResult}"/> behind a <see cref="ValueTask"/>. <see cref="Set"/> completes
/// the armed wait once; later calls until the next <see cref="Arm"/> do nothing. The continuation runs inline on the
/// thread that sets it, so the waiter is released as early as possible.
/// </summary>
internal sealed class ReusableSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core;
    private int _armed;

    /// <summary>Arms the signal; the returned task completes on the next <see cref="Set"/>. Await it once.</summary>
    public ValueTask Arm()
    {
        _core.Reset();
        Volatile.Write(ref _armed, 1);
        return new ValueTask(this, _core.Version);
    }

    public void Set()
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1)
        {
            _core.SetResult(true);
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
