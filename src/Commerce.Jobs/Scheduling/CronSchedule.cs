using Cronos;

namespace Commerce.Jobs.Scheduling;

/// <summary>A cron expression, parsed and evaluated by Cronos (DST-aware).</summary>
internal sealed class CronSchedule : Schedule
{
    private readonly CronExpression _expression;

    public CronSchedule(string expression, TimeZoneInfo? timeZone)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(expression);
        var fields = expression.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        try
        {
            _expression = CronExpression.Parse(expression, fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard);
        }
        catch (CronFormatException ex)
        {
            throw new FormatException($"'{expression}' is not a valid cron expression: {ex.Message}", ex);
        }

        Expression = expression;
        TimeZone = timeZone;
    }

    public string Expression { get; }

    public TimeZoneInfo? TimeZone { get; }

    public override string ToString() => TimeZone is null ? $"cron '{Expression}'" : $"cron '{Expression}' ({TimeZone.Id})";

    internal override void ApplyTo(JobOptions options)
    {
        if (options.Cron is not null && options.Cron != Expression)
        {
            throw new InvalidOperationException($"A job has one cron expression; it already has '{options.Cron}'. Combine cron with interval or daily schedules instead.");
        }

        ApplyTimeZone(options, TimeZone?.Id);
        options.Cron = Expression;
    }

    internal override ScheduleOccurrence? GetNext(DateTimeOffset after, TimeZoneInfo localTimeZone)
        => _expression.GetNextOccurrence(after, TimeZone ?? localTimeZone, inclusive: false) is { } next
            ? new ScheduleOccurrence(next, TriggerKind.Schedule)
            : null;
}
