using System.Threading.Channels;
using Commerce.Jobs.Diagnostics;

namespace Commerce.Jobs.Runners;

/// <summary>The scheduler loop: one priority queue of next fire times and one timer for all jobs.</summary>
internal sealed partial class JobEngine
{
    private readonly PriorityQueue<(JobEntry Entry, TriggerKind Trigger), long> _timeline = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private ITimer? _timer;

    /// <summary>Computes every job's first fire from the clock as it reads at start, and arms the one timer.</summary>
    private void InitializeSchedule()
    {
        var zone = _time.LocalTimeZone;
        var now = _time.GetUtcNow();
        foreach (var entry in _entriesByName)
        {
            Enqueue(entry, now, zone);
        }

        _timer = _time.CreateTimer(static state => ((Channel<bool>)state!).Writer.TryWrite(true), _wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        ArmTimer(now);
    }

    private async Task ScheduleAsync(CancellationToken stop)
    {
        var zone = _time.LocalTimeZone;
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await _wake.Reader.ReadAsync(stop).ConfigureAwait(false);
                var now = _time.GetUtcNow();
                while (_timeline.TryPeek(out var due, out var dueTicks) && dueTicks <= now.UtcTicks)
                {
                    _timeline.Dequeue();
                    try
                    {
                        Fire(due.Entry, due.Trigger, new DateTimeOffset(dueTicks, TimeSpan.Zero));
                    }
                    catch (Exception ex)
                    {
                        Log.SchedulerFault(_logger, due.Entry.Name, ex);
                    }

                    // Continue from now, not from the missed fire: a late scheduler fires once, never a burst.
                    try
                    {
                        Enqueue(due.Entry, now, zone);
                    }
                    catch (Exception ex)
                    {
                        // A schedule that cannot say its next fire stops firing; the other jobs' go on.
                        due.Entry.NextFireTime = null;
                        Log.SchedulerFault(_logger, due.Entry.Name, ex);
                    }
                }

                ArmTimer(now);
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

    /// <summary>A timed fire runs once across every host sharing the store: the host that claims the occurrence triggers it.</summary>
    private void Fire(JobEntry entry, TriggerKind trigger, DateTimeOffset scheduledTime)
    {
        if (entry.IsDisabled)
        {
            return;
        }

        ValueTask<bool> claim;
        try
        {
            claim = _store.TryClaimOccurrenceAsync(entry.Name, scheduledTime, _identity.Owner, CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.OccurrenceClaimFailed(_logger, entry.Name, scheduledTime, ex);
            return;
        }

        if (claim.IsCompletedSuccessfully)
        {
            if (claim.Result)
            {
                entry.Trigger(trigger);
            }
        }
        else
        {
            _ = AwaitClaimAsync(claim, entry, trigger, scheduledTime);
        }
    }

    private async Task AwaitClaimAsync(ValueTask<bool> claim, JobEntry entry, TriggerKind trigger, DateTimeOffset scheduledTime)
    {
        try
        {
            if (await claim.ConfigureAwait(false))
            {
                entry.Trigger(trigger);
            }
        }
        catch (Exception ex)
        {
            Log.OccurrenceClaimFailed(_logger, entry.Name, scheduledTime, ex);
        }
    }

    private void ArmTimer(DateTimeOffset now)
        => _timer!.Change(
            _timeline.TryPeek(out _, out var nextTicks) ? TimeSpan.FromTicks(Math.Max(0, nextTicks - now.UtcTicks)) : Timeout.InfiniteTimeSpan,
            Timeout.InfiniteTimeSpan);

    private void Enqueue(JobEntry entry, DateTimeOffset after, TimeZoneInfo zone)
    {
        var next = entry.Schedule.GetNext(after, zone);
        entry.NextFireTime = next?.Time;
        if (next is { } occurrence)
        {
            _timeline.Enqueue((entry, occurrence.Kind), occurrence.Time.UtcTicks);
        }
    }
}
