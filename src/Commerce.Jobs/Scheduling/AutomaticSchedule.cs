namespace Commerce.Jobs.Scheduling;

/// <summary>
/// Runs on the host's signal; its timed fires are cleanup runs: <c>cleanupRunsPerDay</c> a UTC day, one at a
/// jittered instant inside each equal slice of the day. The jitter is a pure function of the day, the slice and the
/// seed (the job's name), so every host computes the same instants and a test can predict them.
/// </summary>
internal sealed class AutomaticSchedule(int cleanupRunsPerDay, int seed) : Schedule
{
    public int CleanupRunsPerDay { get; } = cleanupRunsPerDay;

    public int Seed { get; } = seed;

    internal override bool IsAutomatic => true;

    public override string ToString() => CleanupRunsPerDay == 0
        ? "automatic"
        : $"automatic, {CleanupRunsPerDay} cleanup run{(CleanupRunsPerDay == 1 ? string.Empty : "s")} a day";

    internal override void ApplyTo(JobOptions options)
    {
        options.Automatic = true;
        options.CleanupRunsPerDay = CleanupRunsPerDay;
    }


    internal override ScheduleOccurrence? GetNext(DateTimeOffset after, TimeZoneInfo localTimeZone)
    {
        if (CleanupRunsPerDay == 0)
        {
            return null;
        }

        var day = after.UtcTicks / TimeSpan.TicksPerDay;
        for (var d = day; ; d++)
        {
            for (var slice = 0; slice < CleanupRunsPerDay; slice++)
            {
                var at = CleanupInstant(d, slice);
                if (at > after)
                {
                    return new ScheduleOccurrence(at, TriggerKind.Cleanup);
                }
            }
        }
    }

    internal DateTimeOffset CleanupInstant(long day, int slice)
    {
        var sliceTicks = TimeSpan.TicksPerDay / CleanupRunsPerDay;
        // SplitMix64 of (day, slice, seed): a well-spread, reproducible fraction of the slice, to the second.
        var x = unchecked((ulong)day * 0x9E3779B97F4A7C15UL ^ ((ulong)slice << 32) ^ (uint)Seed);
        x = unchecked((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL);
        x = unchecked((x ^ (x >> 27)) * 0x94D049BB133111EBUL);
        x ^= x >> 31;
        var offset = (long)(x % (ulong)(sliceTicks / TimeSpan.TicksPerSecond)) * TimeSpan.TicksPerSecond;
        return new DateTimeOffset((day * TimeSpan.TicksPerDay) + (slice * sliceTicks) + offset, TimeSpan.Zero);
    }
}
