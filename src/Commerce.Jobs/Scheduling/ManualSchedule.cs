namespace Commerce.Jobs.Scheduling;

/// <summary>No timed fires: only explicit triggers run the job.</summary>
internal sealed class ManualSchedule : Schedule
{
    public static readonly ManualSchedule Instance = new();

    private ManualSchedule()
    {
    }

    public override string ToString() => "manual";

    internal override void ApplyTo(JobOptions options)
    {
        // Manual adds no fires; a job with no other schedule runs only when triggered.
    }

    internal override ScheduleOccurrence? GetNext(DateTimeOffset after, TimeZoneInfo localTimeZone) => null;
}
