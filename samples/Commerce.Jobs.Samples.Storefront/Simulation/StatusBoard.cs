using System.Globalization;
using System.Text;
using Commerce.Jobs.Samples.Storefront.Shop;
using Microsoft.Extensions.Hosting;

namespace Commerce.Jobs.Samples.Storefront.Simulation;

/// <summary>
/// Prints a compact status table of every job from <see cref="IJobMonitor.GetStatuses"/>, and of every entity sync from
/// <see cref="IEntitySync.GetStatuses"/>, every 2.5 seconds: plain lines appended to stdout, so it reads the same in a
/// terminal, a pipe or a CI log (no cursor movement; colour only in a terminal).
/// </summary>
internal sealed class StatusBoard(IJobMonitor monitor, IEntitySync entitySync, Cart cart, TimeProvider time) : BackgroundService
{
    private static readonly TimeSpan Every = TimeSpan.FromSeconds(2.5);
    private static readonly bool UseColor = !Console.IsOutputRedirected && Environment.GetEnvironmentVariable("NO_COLOR") is null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Every, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                // One write per table, so log lines from other threads never land inside it.
                await Console.Out.WriteAsync(Render());
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The host is stopping.
        }
    }

    private string Render()
    {
        var now = time.GetUtcNow();
        var text = new StringBuilder();
        text.AppendLine();
        text.Append(CultureInfo.InvariantCulture, $"-- {now.ToLocalTime():HH:mm:ss}  {cart.CountOrders()}; {cart.SkippedOutcomes} order skips so far (retried later)").AppendLine();
        text.AppendLine("Job                     State    Last outcome        Trigger    Next run    Read  Deliv   Skip   Fail   Runs");
        foreach (var job in monitor.GetStatuses())
        {
            var last = job.LastRun;
            var outcome = (last?.Outcome.ToString() ?? "-").PadRight(18);
            text.Append(CultureInfo.InvariantCulture, $"{job.JobName,-23} {job.State,-8} {Colour(outcome, last?.Outcome)}  {last?.Trigger.ToString() ?? "-",-10} {FormatNextRun(job.NextFireTime, now),-10}");
            text.Append(CultureInfo.InvariantCulture, $" {Count(last?.Counts.Read),5} {Count(last?.Counts.Delivered),6} {Count(last?.Counts.Skipped),6} {Count(last?.Counts.Failed),6} {job.RunCount,6}").AppendLine();
        }

        text.AppendLine();
        AppendEntitySync(text, entitySync.GetStatuses(), now);
        return text.ToString();
    }

    /// <summary>Appends the entity sync table: one line per (entity type, target).</summary>
    /// <param name="text">The text to append to.</param>
    /// <param name="statuses">From <see cref="IEntitySync.GetStatuses"/>.</param>
    /// <param name="now">The current time.</param>
    public static void AppendEntitySync(StringBuilder text, IReadOnlyList<EntitySyncStatus> statuses, DateTimeOffset now)
    {
        text.AppendLine("Entity sync  Target   Pending  Last version  Delivered  Full sync  Paused since   Last error");
        foreach (var s in statuses)
        {
            var paused = s.PausedSince is { } since ? $"{since.ToLocalTime():HH:mm:ss} ({(now - since).TotalSeconds:0}s)" : "-";
            text.Append(CultureInfo.InvariantCulture, $"{s.EntityType,-12} {s.TargetName,-8} {s.PendingCount,7} {Count(s.LastDeliveredVersion),13} {s.DeliveredCount,10}  {(s.FullSyncRunning ? "running" : "-"),-9}  {(s.PausedSince is null ? paused.PadRight(13) : Yellow(paused.PadRight(13)))}  {s.LastError ?? "-"}").AppendLine();
        }
    }

    private static string Count(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string FormatNextRun(DateTimeOffset? next, DateTimeOffset now) => next switch
    {
        null => "-",
        { } at when at - now < TimeSpan.FromMinutes(1) => $"in {Math.Max(0, (at - now).TotalSeconds):0}s",
        { } at when at - now < TimeSpan.FromHours(1) => $"in {(at - now).TotalMinutes:0}m",
        { } at => at.ToLocalTime().ToString("ddd HH:mm", CultureInfo.InvariantCulture),
    };

    private static string Colour(string cell, JobOutcome? outcome) => outcome switch
    {
        JobOutcome.Failed => Red(cell),
        JobOutcome.PartiallySucceeded => Yellow(cell),
        _ => cell,
    };

    private static string Red(string cell) => UseColor ? $"\e[31m{cell}\e[0m" : cell;

    private static string Yellow(string cell) => UseColor ? $"\e[33m{cell}\e[0m" : cell;
}
