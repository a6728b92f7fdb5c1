using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>
/// Issue 5's crash test: a child process runs a record job over 50,000 inbox records with the SQLite store and is killed
/// with SIGKILL at random points, 20 times in a row; after a last run to completion every record has been delivered at
/// least once, and a record delivered more than once always carried the same idempotency key.
/// </summary>
public sealed class SqliteCrashTests(ITestOutputHelper output) : IDisposable
{
    private const int Records = 50_000;
    private const int Kills = 20;

    // The target answers each batch of 500 after 80 ms, as a remote ERP would: without it the 50,000 records are all
    // delivered by the second to fourth kill, and the later kills find nothing left to interrupt.
    private const int TargetLatencyMs = 80;
    private static readonly TimeSpan FinalRunLimit = TimeSpan.FromMinutes(3);
    private readonly TempDatabase _database = new();
    private readonly StringBuilder _errors = new();

    [Fact]
    public async Task A_host_killed_20_times_mid_run_loses_no_record_and_keeps_idempotency_keys()
    {
        var outputFile = Path.Combine(_database.Directory, "delivered.tsv");
        var random = new Random(20261123);
        var finishedBeforeKill = 0;
        for (var i = 0; i < Kills; i++)
        {
            using var child = StartChild(outputFile);
            var killAfter = TimeSpan.FromMilliseconds(random.Next(200, 1501));
            using var timeout = new CancellationTokenSource(killAfter);
            var fate = "killed";
            try
            {
                await child.WaitForExitAsync(timeout.Token);
                finishedBeforeKill++;
                fate = "finished before its kill";
                Assert.True(child.ExitCode == 0, $"Run {i} exited with {child.ExitCode}: {Errors()}");
            }
            catch (OperationCanceledException)
            {
                Kill(child);
                await child.WaitForExitAsync();
            }

            output.WriteLine($"run {i}: {fate} at {killAfter.TotalMilliseconds} ms, {CountLines(outputFile)} lines delivered so far");
        }

        var stopwatch = Stopwatch.StartNew();
        using (var last = StartChild(outputFile))
        {
            using var limit = new CancellationTokenSource(FinalRunLimit);
            try
            {
                await last.WaitForExitAsync(limit.Token);
            }
            catch (OperationCanceledException)
            {
                Kill(last);
                Assert.Fail($"The final run did not finish within {FinalRunLimit}.");
            }

            Assert.True(last.ExitCode == 0, $"The final run exited with {last.ExitCode}: {Errors()}");
        }

        output.WriteLine($"final run: {stopwatch.ElapsedMilliseconds} ms; {finishedBeforeKill} of {Kills} runs finished before their kill");

        var keys = new Dictionary<int, string>();
        var deliveries = 0;
        var torn = 0;
        foreach (var line in File.ReadLines(outputFile))
        {
            // A line a kill cut short (never acknowledged to the store) is closed by the next process: skip it.
            var parts = line.Split('\t');
            if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var id) || !parts[1].StartsWith("export:", StringComparison.Ordinal))
            {
                torn++;
                continue;
            }

            deliveries++;
            Assert.InRange(id, 0, Records - 1);
            if (keys.TryGetValue(id, out var key))
            {
                Assert.True(key == parts[1], $"Record {id} was delivered with two idempotency keys: '{key}' and '{parts[1]}'.");
            }
            else
            {
                keys[id] = parts[1];
            }
        }

        output.WriteLine($"{deliveries} deliveries of {keys.Count} records ({deliveries - keys.Count} re-deliveries after a crash), {torn} torn lines");
        var missing = Enumerable.Range(0, Records).Where(id => !keys.ContainsKey(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} records were never delivered, the first: {string.Join(", ", missing.Take(10))}.");
        Assert.Equal($"export:{Records - 1}", keys[Records - 1]);
    }

    /// <summary>
    /// Issue 16: run history is written in groups, and a caller is answered only once its run is committed. A child queues
    /// runs as fast as it can and notes every answered run; killed with SIGKILL 5 times at random points, every run it noted
    /// is in the history.
    /// </summary>
    [Fact]
    public async Task Every_run_whose_caller_was_answered_before_a_kill_is_in_the_history()
    {
        var answeredFile = Path.Combine(_database.Directory, "answered.txt");
        var random = new Random(20261207);
        for (var i = 0; i < 5; i++)
        {
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var child = Start(["history-sqlite", _database.Path, answeredFile], line =>
            {
                if (line == "started")
                {
                    started.TrySetResult();
                }
            });
            await Task.WhenAny(started.Task, child.WaitForExitAsync()).WaitAsync(FinalRunLimit);
            Assert.True(started.Task.IsCompleted, $"Run {i} exited with {(child.HasExited ? child.ExitCode : -1)} before it started: {Errors()}");

            // Killed while it records runs as fast as it can.
            var killAfter = TimeSpan.FromMilliseconds(random.Next(300, 1501));
            using var timeout = new CancellationTokenSource(killAfter);
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => child.WaitForExitAsync(timeout.Token));
            Kill(child);
            await child.WaitForExitAsync();
            output.WriteLine($"run {i}: killed {killAfter.TotalMilliseconds} ms after it started, {CountLines(answeredFile)} runs answered so far");
        }

        // A line the kill cut short was never a whole answer: skip it.
        var answered = File.ReadLines(answeredFile).Select(line => Guid.TryParseExact(line, "D", out var id) ? id : Guid.Empty).Where(id => id != Guid.Empty).ToList();
        Assert.NotEmpty(answered);
        using var store = _database.Open();
        var history = (await store.GetRunsAsync("tick", int.MaxValue, default)).Select(r => r.RunId).ToHashSet();
        var missing = answered.Where(id => !history.Contains(id)).ToList();
        output.WriteLine($"{answered.Count} answered runs, {history.Count} runs in the history");
        Assert.True(missing.Count == 0, $"{missing.Count} of {answered.Count} answered runs are not in the history, the first: {string.Join(", ", missing.Take(5))}.");
    }

    public void Dispose() => _database.Dispose();

    private string Errors()
    {
        lock (_errors)
        {
            return _errors.ToString();
        }
    }

    /// <summary>SIGKILL on Linux; a child that exited meanwhile is left alone.</summary>
    private static void Kill(Process child)
    {
        try
        {
            child.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited between the timeout and the kill.
        }
    }

    private static int CountLines(string path) => File.Exists(path) ? File.ReadLines(path).Count() : 0;

    private Process StartChild(string outputFile) =>
        Start([_database.Path, outputFile, Records.ToString(CultureInfo.InvariantCulture), TargetLatencyMs.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>Starts the crash host with <paramref name="arguments"/>; its standard error is kept for messages, each line of its output told to <paramref name="onOutput"/>.</summary>
    private Process Start(string[] arguments, Action<string>? onOutput = null)
    {
        var start = new ProcessStartInfo(DotnetHost(), [CrashHostPath(), .. arguments])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                onOutput?.Invoke(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_errors)
                {
                    _errors.AppendLine(e.Data);
                }
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>The dotnet host running this test (dotnet test sets DOTNET_HOST_PATH), or the one on the PATH.</summary>
    private static string DotnetHost() => Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    /// <summary>The crash host, built beside this project by its ProjectReference: ../Commerce.Jobs.CrashHost/bin/{configuration}/{framework}/.</summary>
    private static string CrashHostPath()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var testsFolder = testOutput.Parent.Parent!.Parent!.Parent!.FullName;
        var path = Path.Combine(testsFolder, "Commerce.Jobs.CrashHost", "bin", configuration, framework, "Commerce.Jobs.CrashHost.dll");
        Assert.True(File.Exists(path), $"The crash host is not built at {path}: build tests/Commerce.Jobs.Adapters.Sqlite.Tests (it references tests/Commerce.Jobs.CrashHost).");
        return path;
    }
}
