using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Testing;

/// <summary>
/// One host's (or engine's) view of a fake clock: it reads and waits on the given <see cref="FakeTimeProvider"/>, and
/// counts the timers created through it, so that a test advances the clock only once the code under test waits on it.
/// The background loops of an engine read the clock, compute how long to wait and arm a timer for that long: a clock
/// advanced between the read and the arming leaves the timer armed late (from a stale reading), and the fire it waits
/// for is missed. A test that waits for <see cref="FiredTimers"/> to be zero (every fired one-shot timer re-armed or
/// disposed) and, where it counts on a loop, for its timer to be armed (<see cref="ArmedTimers"/>), never does that.
/// </summary>
public sealed class TimerCountingClock(FakeTimeProvider time) : TimeProvider
{
    private readonly Lock _gate = new();
    private int _armed;
    private int _fired;

    /// <summary>Raised after every change of <see cref="ArmedTimers"/> or <see cref="FiredTimers"/> (and after each fire's callback).</summary>
    public event Action? Changed;

    /// <summary>Gets the fake clock this one reads.</summary>
    public FakeTimeProvider Time => time;

    /// <summary>Gets how many timers are armed: due at a finite time and not fired since (a periodic timer stays armed).</summary>
    public int ArmedTimers
    {
        get
        {
            lock (_gate)
            {
                return _armed;
            }
        }
    }

    /// <summary>Gets how many one-shot timers have fired and have not been re-armed (or disarmed) or disposed since.</summary>
    public int FiredTimers
    {
        get
        {
            lock (_gate)
            {
                return _fired;
            }
        }
    }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => time.LocalTimeZone;

    /// <inheritdoc />
    public override long TimestampFrequency => time.TimestampFrequency;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => time.GetUtcNow();

    /// <inheritdoc />
    public override long GetTimestamp() => time.GetTimestamp();

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new CountedTimer(this, () => callback(state));
        timer.Arm(dueTime, period);
        timer.Attach(time.CreateTimer(static s => ((CountedTimer)s!).OnFired(), timer, dueTime, period));
        return timer;
    }

    private void OnChanged() => Changed?.Invoke();

    private sealed class CountedTimer(TimerCountingClock clock, Action callback) : ITimer
    {
        private ITimer? _inner;
        private bool _armed;
        private bool _fired;
        private bool _periodic;
        private bool _disposed;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            // Counted as armed before the inner timer is: a due time of zero fires (and disarms) within Change.
            Arm(dueTime, period);
            return _inner!.Change(dueTime, period);
        }

        public void Dispose()
        {
            ITimer? inner;
            lock (clock._gate)
            {
                Set(armed: false, fired: false);
                _disposed = true;
                inner = _inner;
            }

            inner?.Dispose();
            clock.OnChanged();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        /// <summary>Takes the fake clock's timer (created after this one is counted: a due time of zero fires at once).</summary>
        public void Attach(ITimer inner)
        {
            bool disposed;
            lock (clock._gate)
            {
                _inner = inner;
                disposed = _disposed;
            }

            if (disposed)
            {
                inner.Dispose();
            }
        }

        public void Arm(TimeSpan dueTime, TimeSpan period)
        {
            lock (clock._gate)
            {
                if (_disposed)
                {
                    return;
                }

                Set(armed: dueTime != Timeout.InfiniteTimeSpan, fired: false);
                _periodic = period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero;
            }

            clock.OnChanged();
        }

        public void OnFired()
        {
            // A one-shot timer counts as fired before its callback runs: whatever the callback re-arms or disposes counts again.
            lock (clock._gate)
            {
                if (_armed && !_periodic && !_disposed)
                {
                    Set(armed: false, fired: true);
                }
            }

            callback();
            clock.OnChanged();
        }

        private void Set(bool armed, bool fired)
        {
            clock._armed += (armed ? 1 : 0) - (_armed ? 1 : 0);
            clock._fired += (fired ? 1 : 0) - (_fired ? 1 : 0);
            _armed = armed;
            _fired = fired;
        }
    }
}
