using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Commerce.Jobs.Samples.Tests;

/// <summary>
/// Runs the storefront sample as the README's first command does, each test in a fresh working directory of its own (the
/// SQLite job store is a file there), and checks no order was lost: in one run, and across a hard kill and a second run.
/// </summary>
public sealed partial class StorefrontSampleTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("sqlite")]
    [InlineData("memory")]
    public async Task The_sample_runs_by_itself_delivers_orders_and_loses_none(string store)
    {
        using var workDir = new TempDirectory();

        var (exitCode, output) = await RunSampleAsync(workDir.Path, "--duration", "6", "--orders-per-second", "25", "--store", store);

        Assert.True(exitCode == 0, $"The sample exited {exitCode}:\n{output}");
        if (store == "sqlite")
        {
            // A fresh directory: a new file, nothing left by an earlier run.
            Assert.Equal(0, PendingAtStart(output));
            Assert.True(File.Exists(Path.Combine(workDir.Path, "storefront-jobs.db")), "No storefront-jobs.db in the working directory.");
        }
        else
        {
            Assert.Contains("Job store: in memory", output, StringComparison.Ordinal);
            Assert.False(File.Exists(Path.Combine(workDir.Path, "storefront-jobs.db")), "--store memory wrote storefront-jobs.db.");
        }

        var summary = ParseSummary(output);
        Assert.True(summary.Placed > 0 && summary.Submitted > 0, summary.Line);
        Assert.Equal(summary.Placed, summary.Submitted + summary.Pending + summary.Failed);
        Assert.Equal(0, summary.Resumed);
        Assert.Equal(summary.Pending, summary.PendingInStore);       // what the cart calls pending is what the store holds
        Assert.Contains("Job Status Report", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_run_after_a_hard_kill_delivers_the_orders_the_killed_run_accepted()
    {
        using var workDir = new TempDirectory();

        // Run 1: kill it (SIGKILL: no shutdown, no final report) once the storefront has placed orders. Its ERP fails half
        // its calls (throttled with a Retry-After of seconds, or erring), so orders are still pending when it is killed,
        // however quickly the engine submits the rest.
        var (killedAfter, firstOutput) = await RunAndKillAsync(workDir.Path, "--duration", "20", "--orders-per-second", "40", "--failure-rate", "0.5");
        Assert.True(killedAfter > 0, $"The first run placed no order before it was killed:\n{firstOutput}");
        Assert.DoesNotContain("Summary:", firstOutput, StringComparison.Ordinal);

        // Run 2, in the same directory: it finds the orders run 1 left in the store, and delivers them.
        var (exitCode, output) = await RunSampleAsync(workDir.Path, "--duration", "8", "--orders-per-second", "40");

        Assert.True(exitCode == 0, $"The second run exited {exitCode}:\n{output}");
        var pendingAtStart = PendingAtStart(output);
        var summary = ParseSummary(output);
        var context = $"pending at start {pendingAtStart}; {summary.Line}\n--- first run (killed after {killedAfter} orders placed):\n{firstOutput}\n--- second run:\n{output}";
        Assert.True(pendingAtStart > 0 || summary.Resumed > 0, $"Nothing of the killed run was resumed: {context}");

        // Every order left pending was reported on in run 2 (as resumed), and none of them is still pending.
        Assert.True(summary.Resumed >= pendingAtStart, $"Orders left pending that run 2 never reported on: {context}");
        Assert.True(summary.ResumedPending == 0, $"Resumed orders still pending at exit: {context}");
        Assert.Equal(summary.Resumed, summary.ResumedSubmitted + summary.ResumedPending + summary.ResumedFailed);

        // The accounting of run 2's own orders is untouched by the resumed ones, and the store holds nothing unaccounted for.
        Assert.True(summary.Placed > 0, context);
        Assert.Equal(summary.Placed, summary.Submitted + summary.Pending + summary.Failed);
        Assert.Equal(summary.Pending + summary.ResumedPending, summary.PendingInStore);
    }

    [Fact]
    public async Task The_sample_serves_the_dashboard_locally_and_its_api_runs_a_job()
    {
        using var workDir = new TempDirectory();
        using var process = Process.Start(StartInfo(workDir.Path, ["--duration", "20", "--store", "memory"]))!;
        try
        {
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(RunTimeout);
            Uri? dashboard = null;
            while (dashboard is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                if (DashboardLine().Match(line) is { Success: true } match)
                {
                    dashboard = new Uri(match.Groups["url"].Value);
                }
            }

            var rest = process.StandardOutput.ReadToEndAsync();
            if (dashboard is null)
            {
                Assert.Fail($"No 'Dashboard: http://127.0.0.1:…/jobs/' line: {await rest}{await stderr}");
            }

            using var client = new HttpClient(new HttpClientHandler { UseCookies = true }) { Timeout = TimeSpan.FromSeconds(30) };
            var page = await client.GetStringAsync(dashboard);
            Assert.Contains("<script src=\"dashboard.js\" defer></script>", page, StringComparison.Ordinal);
            var jobs = await client.GetStringAsync(new Uri(dashboard, "api/jobs"));
            Assert.Contains("\"name\":\"order-submit\"", jobs, StringComparison.Ordinal);
            Assert.Contains("\"targetName\":\"search\"", jobs, StringComparison.Ordinal);

            // Run now, as the page's button does: with the antiforgery token the session endpoint hands out.
            using var session = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync(new Uri(dashboard, "api/dashboard")));
            using var run = new HttpRequestMessage(HttpMethod.Post, new Uri(dashboard, "api/jobs/product-refresh/run?wait=10"));
            run.Headers.Add(session.RootElement.GetProperty("antiforgeryHeaderName").GetString()!, session.RootElement.GetProperty("antiforgeryToken").GetString());
            using var response = await client.SendAsync(run);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == System.Net.HttpStatusCode.OK, body);
            Assert.Contains("\"status\":\"Finished\",", body, StringComparison.Ordinal);
            Assert.Contains("\"outcome\":\"Succeeded\"", body, StringComparison.Ordinal);

            await process.WaitForExitAsync(timeout.Token);
            Assert.True(process.ExitCode == 0, $"The sample exited {process.ExitCode}: {await rest}{await stderr}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task With_smtp_the_sample_mails_failures_to_the_smtp_catcher()
    {
        await using var smtp = await Commerce.Jobs.Notifications.Email.Tests.TestSupport.SmtpServer.StartAsync();
        using var workDir = new TempDirectory();

        var (exitCode, output) = await RunSampleAsync(workDir.Path, "--duration", "6", "--failure-rate", "1", "--store", "memory", "--smtp", $"127.0.0.1:{smtp.Port}");

        Assert.True(exitCode == 0, $"The sample exited {exitCode}:\n{output}");
        var message = (await smtp.WaitForMessagesAsync(1))[0];
        Assert.StartsWith("[Storefront sample] ", message.Subject, StringComparison.Ordinal);
        Assert.Equal("admin@storefront.test", Assert.Single(message.To.Mailboxes).Address);
    }

    [Fact]
    public async Task An_unknown_option_prints_usage_and_exits_2()
    {
        using var workDir = new TempDirectory();

        var (exitCode, output) = await RunSampleAsync(workDir.Path, "--no-such-option");

        Assert.Equal(2, exitCode);
        Assert.Contains("--duration", output, StringComparison.Ordinal);
        Assert.Contains("--store", output, StringComparison.Ordinal);
    }

    private static ProcessStartInfo StartInfo(string workingDirectory, string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        start.ArgumentList.Add(SampleAssembly());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        return start;
    }

    private static async Task<(int ExitCode, string Output)> RunSampleAsync(string workingDirectory, params string[] args)
    {
        using var process = Process.Start(StartInfo(workingDirectory, args))!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The sample did not exit within {RunTimeout.TotalSeconds:0} s:\n{await stdout}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Starts the sample, reads its output until a status line shows orders placed, and kills it (SIGKILL).</summary>
    /// <returns>The orders placed by the last status line before the kill, and what the run printed.</returns>
    private static async Task<(int Placed, string Output)> RunAndKillAsync(string workingDirectory, params string[] args)
    {
        using var process = Process.Start(StartInfo(workingDirectory, args))!;
        var output = new StringBuilder();
        var stderr = process.StandardError.ReadToEndAsync();
        var placed = 0;
        using var timeout = new CancellationTokenSource(RunTimeout);
        try
        {
            // The first status table comes 2.5 s after start; its header says how many orders the storefront placed.
            while (placed == 0 && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                output.AppendLine(line);
                if (StatusLine().Match(line) is { Success: true } status)
                {
                    placed = int.Parse(status.Groups["placed"].Value, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (OperationCanceledException)
        {
            output.AppendLine($"(no status line with orders placed within {RunTimeout.TotalSeconds:0} s)");
        }
        finally
        {
            process.Kill(entireProcessTree: true);      // SIGKILL: no graceful stop, as a crash or `kill -9`
        }

        using var drain = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(drain.Token);
        output.Append(await process.StandardOutput.ReadToEndAsync(drain.Token));
        output.Append(await stderr);
        return (placed, output.ToString());
    }

    private static int PendingAtStart(string output)
    {
        var match = PendingAtStartLine().Match(output);
        Assert.True(match.Success, $"No 'orders left pending in it by a previous run' line in the output:\n{output}");
        return int.Parse(match.Groups["pending"].Value, CultureInfo.InvariantCulture);
    }

    private static Summary ParseSummary(string output)
    {
        var match = SummaryLine().Match(output);
        Assert.True(match.Success, $"No summary line in the output:\n{output}");
        int Group(string name) => match.Groups[name].Success ? int.Parse(match.Groups[name].Value, CultureInfo.InvariantCulture) : 0;
        return new Summary(
            match.Value,
            Group("placed"),
            Group("submitted"),
            Group("pending"),
            Group("failed"),
            Group("resumed"),
            Group("rsubmitted"),
            Group("rpending"),
            Group("rfailed"),
            Group("store"));
    }

    private static string SampleAssembly()
    {
        // This assembly lives in tests/Commerce.Jobs.Samples.Tests/bin/<Configuration>/net10.0/.
        var here = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = here.Parent!.Name;
        var root = here;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Commerce.Jobs.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var path = Path.Combine(root.FullName, "samples", "Commerce.Jobs.Samples.Storefront", "bin", configuration, "net10.0", "Commerce.Jobs.Samples.Storefront.dll");
        Assert.True(File.Exists(path), $"The sample is not built at {path}.");
        return path;
    }

    [GeneratedRegex(@"Summary: orders placed (?<placed>\d+), submitted (?<submitted>\d+), pending (?<pending>\d+), failed \(invalid\) (?<failed>\d+), shipped \d+(; resumed from a previous run (?<resumed>\d+): submitted (?<rsubmitted>\d+), pending (?<rpending>\d+), failed \(invalid\) (?<rfailed>\d+), shipped \d+)?; in the job store at exit: (?<store>\d+) pending")]
    private static partial Regex SummaryLine();

    [GeneratedRegex(@"^-- \d\d:\d\d:\d\d  orders placed (?<placed>\d+),")]
    private static partial Regex StatusLine();

    [GeneratedRegex(@"^Dashboard: (?<url>http://127\.0\.0\.1:\d+/jobs/) ")]
    private static partial Regex DashboardLine();

    [GeneratedRegex(@"orders left pending in it by a previous run: (?<pending>\d+)")]
    private static partial Regex PendingAtStartLine();

    private sealed record Summary(
        string Line,
        int Placed,
        int Submitted,
        int Pending,
        int Failed,
        int Resumed,
        int ResumedSubmitted,
        int ResumedPending,
        int ResumedFailed,
        int PendingInStore);

    /// <summary>A fresh, empty working directory for one test's runs; deleted afterwards.</summary>
    private sealed class TempDirectory : IDisposable
    {
        public TempDirectory()
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"storefront-sample-{Guid.NewGuid():N}");
            Directory.CreateDirectory(Path);
        }

        public string Path { get; }

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // A file still open (Windows, a process not yet gone): leave it to the temp cleaner.
            }
            catch (UnauthorizedAccessException)
            {
                // Same.
            }
        }
    }
}
