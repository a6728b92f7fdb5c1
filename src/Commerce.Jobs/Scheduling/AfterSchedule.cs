namespace Commerce.Jobs.Scheduling;

/// <summary>Runs when another job completes (on success, or on any outcome).</summary>
internal sealed class AfterSchedule(string jobName, AfterCondition condition) : Schedule
{
    internal override IReadOnlyList<(string JobName, AfterCondition Condition)> AfterJobs { get; } = [(jobName, condition)];

    public override string ToString() => condition == AfterCondition.Success ? $"after '{jobName}' succeeds" : $"after '{jobName}'";

    internal override void ApplyTo(JobOptions options)
    {
        if (!string.IsNullOrWhiteSpace(options.After) && options.AfterCondition != condition)
        {
            throw new InvalidOperationException($"A job runs after other jobs on one condition; it already runs after '{options.After}' on {options.AfterCondition}, not {condition}.");
        }

        options.After = string.IsNullOrWhiteSpace(options.After) ? jobName : $"{options.After},{jobName}";
        options.AfterCondition = condition;
    }

    internal override ScheduleOccurrence? GetNext(DateTimeOffset after, TimeZoneInfo localTimeZone) => null;
}
