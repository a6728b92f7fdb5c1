using System.Threading.Channels;

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

    private async Task ScheduleAsync(CancellationToken stop)
    {
        var zone = _time.LocalTimeZone;
        var now = _time.GetUtcNow();
        foreach (var entry in _entriesByName)
        {
            Enqueue(entry, now, zone);
        }

        using var timer = _time.CreateTimer(static state => ((Channel<bool>)state!).Writer.TryWrite(true), _wake, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                now = _time.GetUtcNow();
                while (_timeline.TryPeek(out var due, out var dueTicks) && dueTicks <= now.UtcTicks)
                {
                    _timeline.Dequeue();
                    due.Entry.Trigger(due.Trigger);

                    // Continue from now, not from the missed fire: a late scheduler fires once, never a burst.
                    Enqueue(due.Entry, now, zone);
                }

                timer.Change(
                    _timeline.TryPeek(out _, out var nextTicks) ? TimeSpan.FromTicks(nextTicks - now.UtcTicks) : Timeout.InfiniteTimeSpan,
                    Timeout.InfiniteTimeSpan);
                await _wake.Reader.ReadAsync(stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopping.
        }
    }

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
