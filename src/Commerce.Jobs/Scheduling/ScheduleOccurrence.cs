namespace Commerce.Jobs.Scheduling;

/// <summary>A timed fire of a schedule: when, and as what kind of trigger.</summary>
internal readonly record struct ScheduleOccurrence(DateTimeOffset Time, TriggerKind Kind);
