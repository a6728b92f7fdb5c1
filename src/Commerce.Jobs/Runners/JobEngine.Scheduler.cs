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
                    due.Entry.Trigger(due.Trigger);

                    // Continue from now, not from the missed fire: a late scheduler fires once, never a burst.
                    Enqueue(due.Entry, now, zone);
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
