namespace Commerce.Jobs.Scheduling;

/// <summary>Fires whenever any of its parts fires; two parts firing at the same instant fire once.</summary>
internal sealed class CombinedSchedule(Schedule[] parts) : Schedule
{
    public Schedule[] Parts { get; } = parts;

    internal override bool IsAutomatic => Array.Exists(Parts, p => p.IsAutomatic);

    internal override IReadOnlyList<(string JobName, AfterCondition Condition)> AfterJobs => [.. Parts.SelectMany(p => p.AfterJobs)];

    public override string ToString() => string.Join(" and ", Parts.Select(p => p.ToString()));

    internal override void ApplyTo(JobOptions options)
    {
        foreach (var part in Parts)
        {
            part.ApplyTo(options);
        }
    }


    internal override ScheduleOccurrence? GetNext(DateTimeOffset after, TimeZoneInfo localTimeZone)
    {
        ScheduleOccurrence? first = null;
        foreach (var part in Parts)
        {
            if (part.GetNext(after, localTimeZone) is { } next && (first is null || next.Time < first.Value.Time))
            {
                first = next;
            }
        }

        return first;
    }
}
