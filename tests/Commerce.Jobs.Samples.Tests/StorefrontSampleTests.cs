using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Commerce.Jobs.Samples.Tests;

/// <summary>Runs the storefront sample for a few seconds, as the README's first command does, and checks no order was lost.</summary>
public sealed partial class StorefrontSampleTests
{
    [Fact]
    public async Task The_sample_runs_by_itself_delivers_orders_and_loses_none()
    {
        var (exitCode, output) = await RunSampleAsync("--duration", "6", "--orders-per-second", "25");

        Assert.True(exitCode == 0, $"The sample exited {exitCode}:\n{output}");
        var summary = Summary().Match(output);
        Assert.True(summary.Success, $"No summary line in the output:\n{output}");
        var placed = int.Parse(summary.Groups["placed"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var submitted = int.Parse(summary.Groups["submitted"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var pending = int.Parse(summary.Groups["pending"].Value, System.Globalization.CultureInfo.InvariantCulture);
        var failed = int.Parse(summary.Groups["failed"].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(placed > 0 && submitted > 0, summary.Value);
        Assert.Equal(placed, submitted + pending + failed);
        Assert.Contains("Job Status Report", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_option_prints_usage_and_exits_2()
    {
        var (exitCode, output) = await RunSampleAsync("--no-such-option");

        Assert.Equal(2, exitCode);
        Assert.Contains("--duration", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunSampleAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Path.GetTempPath() };
        start.ArgumentList.Add(SampleAssembly());
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The sample did not exit within 90 s:\n{await stdout}");
        }

        return (process.ExitCode, await stdout + await stderr);
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

    [GeneratedRegex(@"Summary: orders placed (?<placed>\d+), submitted (?<submitted>\d+), pending (?<pending>\d+), failed \(invalid\) (?<failed>\d+)")]
    private static partial Regex Summary();
}
