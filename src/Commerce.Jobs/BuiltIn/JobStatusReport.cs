using System.Globalization;
using System.Text;

namespace Commerce.Jobs;

/// <summary>The Job Status Report: every job's state, schedule, last outcome, next run and failures, as data and as text.</summary>
public sealed class JobStatusReport
{
    private JobStatusReport(DateTimeOffset generatedAt, IReadOnlyList<JobStatus> jobs)
    {
        GeneratedAt = generatedAt;
        Jobs = jobs;
    }

    /// <summary>Gets when the report was made.</summary>
    public DateTimeOffset GeneratedAt { get; }

    /// <summary>Gets a snapshot of every job, ordered by name.</summary>
    public IReadOnlyList<JobStatus> Jobs { get; }

    /// <summary>Makes a report from a monitor.</summary>
    /// <param name="monitor">The monitor.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>The report.</returns>
    public static JobStatusReport Create(IJobMonitor monitor, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(timeProvider);
        return new JobStatusReport(timeProvider.GetUtcNow(), monitor.GetStatuses());
    }

    /// <summary>Renders the report as a plain-text table.</summary>
    /// <returns>The table.</returns>
    public string ToText()
    {
        string[] header = ["Job", "State", "Last outcome", "Last run (UTC)", "Next run (UTC)", "Runs", "Delivered", "Skipped", "Failures in a row"];
        var rows = Jobs.Select(j => new[]
        {
            j.JobName,
            j.State.ToString(),
            j.LastRun?.Outcome.ToString() ?? "-",
            j.LastRun?.EndedAt.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-",
            j.NextFireTime?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) ?? "-",
            j.RunCount.ToString(CultureInfo.InvariantCulture),
            j.TotalCounts.Delivered.ToString(CultureInfo.InvariantCulture),
            j.TotalCounts.Skipped.ToString(CultureInfo.InvariantCulture),
            j.ConsecutiveFailures.ToString(CultureInfo.InvariantCulture),
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, rows.Count == 0 ? 0 : rows.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Job Status Report, {GeneratedAt.UtcDateTime:yyyy-MM-dd HH:mm:ss} UTC").AppendLine();
        void Line(string[] cells) => text.Append(string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd()).AppendLine();
        Line(header);
        Line([.. widths.Select(w => new string('-', w))]);
        rows.ForEach(Line);
        foreach (var job in Jobs.Where(j => j.LastRun is { Outcome: JobOutcome.Failed or JobOutcome.PartiallySucceeded, Error: not null }))
        {
            text.Append(CultureInfo.InvariantCulture, $"{job.JobName}: {job.LastRun!.Error}").AppendLine();
        }

        return text.ToString();
    }

    /// <inheritdoc />
    public override string ToString() => ToText();
}
