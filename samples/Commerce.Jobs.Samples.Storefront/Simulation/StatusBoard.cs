using System.Globalization;
using System.Text;
using Commerce.Jobs.Samples.Storefront.Shop;
using Microsoft.Extensions.Hosting;

namespace Commerce.Jobs.Samples.Storefront.Simulation;

/// <summary>
/// Prints a compact status table of every job from <see cref="IJobMonitor.GetStatuses"/> every 2.5 seconds: plain
/// lines appended to stdout, so it reads the same in a terminal, a pipe or a CI log (no cursor movement; colour only
/// in a terminal).
/// </summary>
internal sealed class StatusBoard(IJobMonitor monitor, Cart cart, TimeProvider time) : BackgroundService
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

        return text.ToString();
    }

    private static string Count(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    private static string FormatNextRun(DateTimeOffset? next, DateTimeOffset now) => next switch
    {
        null => "-",
        { } at when at - now < TimeSpan.FromMinutes(1) => $"in {Math.Max(0, (at - now).TotalSeconds):0}s",
        { } at when at - now < TimeSpan.FromHours(1) => $"in {(at - now).TotalMinutes:0}m",
        { } at => at.ToLocalTime().ToString("ddd HH:mm", CultureInfo.InvariantCulture),
    };

    private static string Colour(string cell, JobOutcome? outcome) => !UseColor ? cell : outcome switch
    {
        JobOutcome.Failed => $"\e[31m{cell}\e[0m",
        JobOutcome.PartiallySucceeded => $"\e[33m{cell}\e[0m",
        _ => cell,
    };
}
