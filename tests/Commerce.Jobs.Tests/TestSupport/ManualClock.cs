namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>
/// A fake clock with one-shot timers, for code that re-arms its timer from another thread as soon as the timer's
/// callback has run (a scheduler loop). <c>FakeTimeProvider</c> disarms a one-shot timer after its callback returns,
/// on the thread that advanced the clock: a re-arm made meanwhile on another thread is undone, and the next fire never
/// comes. Here a timer is disarmed before its callback runs, and callbacks run outside the clock's lock, after the
/// clock reads the new time. It counts the timers created, armed, and fired but not re-armed since (a test advances the
/// clock once that is zero: the code under test has dealt with every fire).
/// </summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<Timer> _timers = [];
    private DateTimeOffset _now = start;
    private int _created;
    private int _armings;

    /// <summary>Raised after a timer is armed, fired or disposed.</summary>
    public event Action? Changed;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    public int TimersCreated
    {
        get
        {
            lock (_gate)
            {
                return _created;
            }
        }
    }

    /// <summary>Gets how many times a timer was armed or disarmed (<see cref="ITimer.Change"/> calls).</summary>
    public int Armings
    {
        get
        {
            lock (_gate)
            {
                return _armings;
            }
        }
    }

    public int ArmedTimers
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count(t => t.Due is not null);
            }
        }
    }

    public int FiredTimers
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count(t => t.Fired);
            }
        }
    }

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    /// <summary>Sets the clock, then runs the callbacks of the timers due by then, earliest first.</summary>
    public void SetUtcNow(DateTimeOffset value)
    {
        List<Timer> due;
        lock (_gate)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, _now);
            _now = value;
            due = [.. _timers.Where(t => t.Due <= value).OrderBy(t => t.Due)];
            foreach (var timer in due)
            {
                timer.Due = null;
                timer.Fired = true;
            }
        }

        foreach (var timer in due)
        {
            timer.Invoke();
        }

        Changed?.Invoke();
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new Timer(this, () => callback(state));
        lock (_gate)
        {
            _timers.Add(timer);
            _created++;
        }

        timer.Change(dueTime, period);
        return timer;
    }

    private sealed class Timer(ManualClock clock, Action callback) : ITimer
    {
        private bool _disposed;

        public DateTimeOffset? Due { get; set; }

        public bool Fired { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (period != Timeout.InfiniteTimeSpan && period != TimeSpan.Zero)
            {
                throw new NotSupportedException("One-shot timers only.");
            }

            // As System.Threading.Timer: at most 0xFFFFFFFE ms.
            ArgumentOutOfRangeException.ThrowIfGreaterThan(dueTime, TimeSpan.FromMilliseconds(uint.MaxValue - 1));

            bool now;
            lock (clock._gate)
            {
                if (_disposed)
                {
                    return false;
                }

                clock._armings++;
                now = dueTime == TimeSpan.Zero;
                Fired = now;
                Due = now || dueTime == Timeout.InfiniteTimeSpan ? null : clock._now + dueTime;
            }

            if (now)
            {
                Invoke();
            }

            clock.Changed?.Invoke();
            return true;
        }

        public void Invoke() => callback();

        public void Dispose()
        {
            lock (clock._gate)
            {
                _disposed = true;
                Due = null;
                Fired = false;
                clock._timers.Remove(this);
            }

            clock.Changed?.Invoke();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
