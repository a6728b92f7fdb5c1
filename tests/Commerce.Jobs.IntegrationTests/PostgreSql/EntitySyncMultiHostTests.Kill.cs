using System.Diagnostics;
using System.Globalization;
using Commerce.Jobs.IntegrationTests.TestSupport;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

public sealed partial class EntitySyncMultiHostTests
{
    /// <summary>The crash host's entity type and target (tests/Commerce.Jobs.CrashHost/EntitySyncCrashMode.cs).</summary>
    private const string CrashType = "crash-items";
    private const string CrashTarget = "file";
    private const int CrashIds = 30;
    private const int CrashRounds = 4;

    [Fact]
    public async Task A_host_killed_with_SIGKILL_mid_delivery_sends_no_id_back_in_version_and_another_host_finishes_with_the_final_state()
    {
        const string Schema = "es_kill";
        var folder = Directory.CreateTempSubdirectory("commerce-jobs-es-kill-");
        var output = Path.Combine(folder.FullName, "delivered.tsv");
        var recorder = new EntitySyncRecorder(CrashTarget, latency: TimeSpan.Zero);
        try
        {
            // The child publishes every round, then delivers slowly (200 ms per batch of 5); killed once it delivered a few batches.
            var published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (var child = StartCrashHost(Schema, output, published))
            {
                await published.Task.WaitAsync(Wait.Patience);
                await Wait.UntilAsync(() => ReadDeliveries(output).Count >= 10 || child.HasExited, () => $"the child delivered {ReadDeliveries(output).Count} changes");
                Assert.False(child.HasExited, $"The child exited ({child.ExitCode}) before its kill.");
                child.Kill(entireProcessTree: true);
                await child.WaitForExitAsync();
            }

            // Another host on the same schema finishes: what the dead one held is taken over once its leases expire.
            var killed = ReadDeliveries(output);
            recorder.Replay(killed);
            await using (var survivor = await EntitySyncHost.StartAsync("survivor", _connectionString, Schema, CrashType, recorder))
            {
                await UntilAsync(
                    () => survivor.IsDrained(CrashType) && recorder.LiveInFlight == 0,
                    () => $"the survivor did not deliver everything: {survivor.DescribeStatus(CrashType)}");
            }

            var because = $"{killed.Count} changes delivered before the kill, then: {string.Join("; ", recorder.Deliveries.Skip(killed.Count))}";
            Assert.True(recorder.Deliveries.Count > killed.Count, $"Nothing was left for the survivor: {because}");
            Assert.True(recorder.Violations.Count == 0, $"{because}\nviolations:\n{string.Join("\n", recorder.Violations)}");
            var held = recorder.Last();
            var wrong = Enumerable.Range(0, CrashIds)
                .Select(i => (Id: string.Create(CultureInfo.InvariantCulture, $"crash-{i}-é"), Expected: i % 3 == 0 ? "nothing" : $"v{CrashRounds}"))
                .Select(e => (e.Id, e.Expected, Actual: held.TryGetValue(e.Id, out var d) && d.Kind == EntityChangeKind.Upsert ? $"v{d.Version}" : "nothing"))
                .Where(e => e.Expected != e.Actual)
                .Select(e => $"{e.Id}: expected {e.Expected}, the target holds {e.Actual}")
                .ToList();
            Assert.True(wrong.Count == 0, $"{string.Join("\n", wrong)}\n{because}");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>The changes the killed child confirmed, from its file: a line its kill cut short (never confirmed to the store) is skipped.</summary>
    private static List<EntityDelivery> ReadDeliveries(string path)
    {
        var deliveries = new List<EntityDelivery>();
        if (!File.Exists(path))
        {
            return deliveries;
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        foreach (var line in text.Split('\n')[..^1])
        {
            if (line.Split('\t') is [var id, var version, var kind, var key]
                && long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                && Enum.TryParse<EntityChangeKind>(kind, out var k))
            {
                deliveries.Add(new EntityDelivery("killed child", id, k, v, key, "publish"));
            }
        }

        return deliveries;
    }

    private Process StartCrashHost(string schema, string output, TaskCompletionSource published)
    {
        var start = new ProcessStartInfo(DotnetHost(),
            [CrashHostPath(), "entity-sync-pg", _connectionString, schema, output, CrashIds.ToString(CultureInfo.InvariantCulture), CrashRounds.ToString(CultureInfo.InvariantCulture), "200"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == "published")
            {
                published.TrySetResult();
            }
        };
        var errors = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors.Enqueue(e.Data);
            }
        };
        process.Exited += (_, _) => published.TrySetException(new InvalidOperationException($"The crash host exited before it published: {string.Join("\n", errors)}"));
        process.EnableRaisingEvents = true;
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
        Assert.True(File.Exists(path), $"The crash host is not built at {path}: build tests/Commerce.Jobs.IntegrationTests (it references tests/Commerce.Jobs.CrashHost).");
        return path;
    }
}
