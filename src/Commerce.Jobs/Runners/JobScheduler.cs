using System.Collections.Concurrent;
using System.Threading.Channels;
using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.Scheduling;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Runners;

/// <summary>
/// The scheduler: one priority queue of next fire times for all jobs, one timer on the <see cref="TimeProvider"/> and one
/// loop. When a job's fire is due the loop hands it to the one <c>due</c> delegate it was given, then plans the job's
/// next fire from its schedule. It owns its state: it is started with the jobs, told of a job's new next fire
/// (<see cref="Reschedule(JobEntry, ScheduleOccurrence?)"/>), and stopped by its token; it publishes each job's next fire
/// in <see cref="JobEntry.NextFireTime"/> for the monitor.
/// </summary>
internal sealed class JobScheduler
{
    /// <summary>The longest a timer waits (about 49.7 days); a fire further out is waited for in steps of it.</summary>
    private static readonly long MaxTimerDueTicks = TimeSpan.FromMilliseconds(uint.MaxValue - 1).Ticks;

    private readonly PriorityQueue<(JobEntry Entry, TriggerKind Trigger, int Generation), long> _timeline = new();   // the loop's only
    private readonly ConcurrentQueue<(JobEntry Entry, ScheduleOccurrence? Next)> _changes = new();     // told from any thread, applied by the loop
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly TimeProvider _time;
    private readonly Action<JobEntry, TriggerKind, DateTimeOffset> _due;
    private readonly ILogger _logger;
    private ITimer? _timer;
    private int _stale;   // fires in the timeline replaced by a change (at most; some may have been dropped at the head already)

    /// <param name="time">The clock the fires are computed from and waited on.</param>
    /// <param name="due">Called on the scheduler's loop with a due job, its trigger and its scheduled instant; what it throws is logged.</param>
    /// <param name="logger">Where a schedule or a <paramref name="due"/> that throws is logged.</param>
    public JobScheduler(TimeProvider time, Action<JobEntry, TriggerKind, DateTimeOffset> due, ILogger logger)
    {
        _time = time;
        _due = due;
        _logger = logger;
    }

    /// <summary>
    /// Computes every job's first fire from the clock as it reads now (each job's <see cref="JobEntry.NextFireTime"/> is
    /// set when this returns), arms the one timer, and runs the loop until <paramref name="stop"/> fires.
    /// </summary>
    /// <returns>The loop; it ends (never faulted) once <paramref name="stop"/> fires, and disposes the timer.</returns>
    public Task Start(IEnumerable<JobEntry> jobs, CancellationToken stop)
    {
        var zone = _time.LocalTimeZone;
        var now = _time.GetUtcNow();
        foreach (var entry in jobs)
        {
            try
            {
                Plan(entry, entry.Schedule.GetNext(now, zone));
            }
            catch (Exception ex)
            {
                // A schedule that cannot say its first fire is not planned; the host and the other jobs start.
                entry.NextFireTime = null;
                Log.SchedulerFault(_logger, entry.Name, ex);
            }
        }

        _timer = _time.CreateTimer(static state => ((Channel<bool>)state!).Writer.TryWrite(true), _wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        ArmTimer();
        return Task.Run(() => LoopAsync(stop), CancellationToken.None);
    }

    /// <summary>Gets how many fires the timeline holds, stale ones included (tests: it stays bounded however often jobs are rescheduled).</summary>
    internal int TimelineCount => _timeline.Count;

    /// <summary>Tells the scheduler that <paramref name="entry"/>'s next fire is <paramref name="next"/> (none: <see langword="null"/>), in place of the one planned.</summary>
    /// <remarks>Safe from any thread, before or after <see cref="Start"/>; an earlier fire than the one the timer waits for wakes the loop.</remarks>
    public void Reschedule(JobEntry entry, ScheduleOccurrence? next)
    {
        _changes.Enqueue((entry, next));
        _wake.Writer.TryWrite(true);
    }

    /// <summary>Plans <paramref name="entry"/>'s next fire again from its schedule and the clock as it reads now, in place of the one planned.</summary>
    public void Reschedule(JobEntry entry) => Reschedule(entry, entry.Schedule.GetNext(_time.GetUtcNow(), _time.LocalTimeZone));

    private async Task LoopAsync(CancellationToken stop)
    {
        var zone = _time.LocalTimeZone;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await _wake.Reader.ReadAsync(stop).ConfigureAwait(false);
                ApplyChanges();
                var now = _time.GetUtcNow();
                while (TryPeekCurrent(out var due, out var dueTicks) && dueTicks <= now.UtcTicks)
                {
                    _timeline.Dequeue();
                    try
                    {
                        _due(due.Entry, due.Trigger, new DateTimeOffset(dueTicks, TimeSpan.Zero));
                    }
                    catch (Exception ex)
                    {
                        Log.SchedulerFault(_logger, due.Entry.Name, ex);
                    }

                    // Continue from now, not from the missed fire: a late scheduler fires once, never a burst.
                    try
                    {
                        Plan(due.Entry, due.Entry.Schedule.GetNext(now, zone));
                    }
                    catch (Exception ex)
                    {
                        // A schedule that cannot say its next fire stops firing; the other jobs' go on.
                        due.Entry.NextFireTime = null;
                        Log.SchedulerFault(_logger, due.Entry.Name, ex);
                    }
                }

                ArmTimer();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping.
        }
        finally
        {
            _timer?.Dispose();
        }
    }

    /// <summary>
    /// Applies what the scheduler was told: a job's planned fire is replaced. The old one is not searched for (that would
    /// be O(n)): the job's generation moves on, which makes it stale, and it is dropped when it reaches the head. A job
    /// has one current fire in the timeline at most.
    /// </summary>
    private void ApplyChanges()
    {
        while (_changes.TryDequeue(out var change))
        {
            change.Entry.ScheduleGeneration++;
            _stale++;
            Plan(change.Entry, change.Next);
        }

        // Many changes of far-off fires would pile stale ones up: past half the timeline they are swept out in one
        // O(n) pass, paid for by the n changes that made them (amortised O(1) each).
        if (_stale > Math.Max(64, _timeline.Count / 2))
        {
            var current = _timeline.UnorderedItems.Where(static item => item.Element.Generation == item.Element.Entry.ScheduleGeneration).ToList();
            _timeline.Clear();
            _timeline.EnqueueRange(current);
            _stale = 0;
        }
    }

    private void Plan(JobEntry entry, ScheduleOccurrence? next)
    {
        entry.NextFireTime = next?.Time;
        if (next is { } occurrence)
        {
            _timeline.Enqueue((entry, occurrence.Kind, entry.ScheduleGeneration), occurrence.Time.UtcTicks);
        }
    }

    /// <summary>Peeks at the earliest fire still current, dropping the stale ones before it (replaced by a change: an older generation).</summary>
    private bool TryPeekCurrent(out (JobEntry Entry, TriggerKind Trigger, int Generation) due, out long dueTicks)
    {
        while (_timeline.TryPeek(out due, out dueTicks))
        {
            if (due.Generation == due.Entry.ScheduleGeneration)
            {
                return true;
            }

            _timeline.Dequeue();
            _stale = Math.Max(0, _stale - 1);
        }

        return false;
    }

    /// <summary>
    /// Arms the one timer for the earliest fire (a fire further out than a timer can wait, such as a cron expression for
    /// 29 February, wakes the loop early; it finds nothing due and arms the timer again). A clock that passed that fire while the timer was being armed (which
    /// would leave it armed late, from a stale reading) makes the loop take another pass at once.
    /// </summary>
    private void ArmTimer()
    {
        if (!TryPeekCurrent(out _, out var nextTicks))
        {
            _timer!.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        _timer!.Change(TimeSpan.FromTicks(Math.Clamp(nextTicks - _time.GetUtcNow().UtcTicks, 0, MaxTimerDueTicks)), Timeout.InfiniteTimeSpan);
        if (_time.GetUtcNow().UtcTicks >= nextTicks)
        {
            _wake.Writer.TryWrite(true);
        }
    }
}
