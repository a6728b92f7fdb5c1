using System.Diagnostics;
using System.Globalization;
using Commerce.Jobs.IntegrationTests.TestSupport;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

public sealed partial class EntitySyncMultiHostTests
{
    /// <summary>The crash host's entity type and target (tests/Commerce.Jobs.CrashHost/EntitySyncCrashMode.cs).</summary>
    private const string CrashType = "crash-items";
    private const string CrashTarget = "file";
    private const int CrashIds = 60;
    private const string KilledChild = "killed child";
    private const int CrashRounds = 4;

    [Fact]
    public async Task A_host_killed_with_SIGKILL_mid_delivery_sends_no_id_back_in_version_and_another_host_finishes_with_the_final_state()
    {
        const string Schema = "es_kill";
        const int BatchSize = 5;
        var folder = Directory.CreateTempSubdirectory("commerce-jobs-es-kill-");
        var output = Path.Combine(folder.FullName, "delivered.tsv");

        // Both hosts answer each batch after 200 ms, as a remote service does: the kill lands in the middle of deliveries.
        var recorder = new EntitySyncRecorder(CrashTarget, latency: TimeSpan.FromMilliseconds(200));
        try
        {
            // The survivor runs beside the child from the start; the child publishes every round, delivers, and is killed
            // once it confirmed a few batches.
            await using (var survivor = await EntitySyncHost.StartAsync("survivor", _connectionString, Schema, CrashType, recorder, batchSize: BatchSize))
            {
                var published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using (var child = StartCrashHost(Schema, output, published))
                {
                    await published.Task.WaitAsync(Wait.Patience);
                    await Wait.UntilAsync(() => ReadDeliveries(output).Count >= 2 * BatchSize || child.HasExited, () => $"the child confirmed {ReadDeliveries(output).Count} changes");
                    Assert.False(child.HasExited, "The child exited before its kill.");
                    child.Kill(entireProcessTree: true);
                    await child.WaitForExitAsync();
                }

                // The survivor delivers what is left, taking over what the dead child held once its leases expire. (Its status
                // is the store's counts as it last read them: the target's state says when it is done.)
                await UntilAsync(
                    () => survivor.IsDrained(CrashType) && recorder.LiveInFlight == 0 && WrongAfterKill(output, recorder).Count == 0,
                    () => $"the survivor did not deliver the final state: {survivor.DescribeStatus(CrashType)}\n{string.Join("\n", WrongAfterKill(output, recorder))}");
            }

            // One target, two writers: the child's confirmed deliveries (its file) and the survivor's, ordered on the machine's monotonic clock.
            var killed = ReadDeliveries(output);
            var all = Merged(killed, recorder);
            var because = $"{killed.Count} changes confirmed by the killed child, {all.Count - killed.Count} by the survivor:\n{string.Join("\n", all)}";
            var violations = recorder.Violations.ToList();
            foreach (var id in all.GroupBy(d => d.Id))
            {
                EntityDelivery? last = null;
                foreach (var delivery in id)
                {
                    if (last is not null && (delivery.Version < last.Version || (delivery.Version == last.Version && delivery.Kind < last.Kind)))
                    {
                        violations.Add($"{delivery} after {last}: the target went back to an older version");
                    }

                    last = delivery;
                }

                // The two hosts never deliver one id at the same time.
                violations.AddRange(
                    from c in id
                    where c.Host == KilledChild
                    from s in id
                    where s.Host != KilledChild && c.Started < s.Confirmed && s.Started < c.Confirmed
                    select $"{s} and {c} were delivered at the same time");
            }

            // At least once: only the batch the child was confirming when it was killed may be delivered again, with the same keys.
            var again = killed.Join(recorder.Deliveries, c => (c.Id, c.Version, c.Kind), s => (s.Id, s.Version, s.Kind), (c, s) => (c, s)).ToList();
            violations.AddRange(again.Where(p => p.c.IdempotencyKey != p.s.IdempotencyKey).Select(p => $"{p.s} delivered again with another key than {p.c}"));
            if (again.Count > BatchSize)
            {
                violations.Add($"{again.Count} changes delivered by both hosts, more than the one batch the child could have been confirming: {string.Join("; ", again.Select(p => p.s))}");
            }

            Assert.True(violations.Count == 0, $"{string.Join("\n", violations)}\n{because}");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>What the killed child (its file) and the survivor confirmed, in the order they confirmed it.</summary>
    private static List<EntityDelivery> Merged(List<EntityDelivery> killed, EntitySyncRecorder recorder) => [.. killed.Concat(recorder.Deliveries).OrderBy(d => d.Confirmed)];

    /// <summary>Where the target does not hold the final state of the crash host's changes: version 4 of each entity, nothing of every third one (deleted).</summary>
    private static List<string> WrongAfterKill(string output, EntitySyncRecorder recorder)
    {
        var held = Merged(ReadDeliveries(output), recorder).GroupBy(d => d.Id).ToDictionary(g => g.Key, g => g.Last());
        return [.. Enumerable.Range(0, CrashIds)
            .Select(i => (Id: string.Create(CultureInfo.InvariantCulture, $"crash-{i}-é"), Expected: i % 3 == 0 ? "nothing" : $"v{CrashRounds}"))
            .Select(e => (e.Id, e.Expected, Actual: held.TryGetValue(e.Id, out var d) && d.Kind == EntityChangeKind.Upsert ? $"v{d.Version}" : "nothing"))
            .Where(e => e.Expected != e.Actual)
            .Select(e => $"{e.Id}: expected {e.Expected}, the target holds {e.Actual}")];
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
            if (line.Split('\t') is [var id, var version, var kind, var key, var started, var confirmed]
                && long.TryParse(version, NumberStyles.None, CultureInfo.InvariantCulture, out var v)
                && Enum.TryParse<EntityChangeKind>(kind, out var k)
                && long.TryParse(started, NumberStyles.None, CultureInfo.InvariantCulture, out var from)
                && long.TryParse(confirmed, NumberStyles.None, CultureInfo.InvariantCulture, out var to))
            {
                deliveries.Add(new EntityDelivery(KilledChild, id, k, v, key, ItemPayload.Published, from, to));
            }
        }

        return deliveries;
    }

    private Process StartCrashHost(string schema, string output, TaskCompletionSource published)
    {
        var start = new ProcessStartInfo(DotnetHost(),
            [CrashHostPath(), "entity-sync-pg", _connectionString, schema, output, CrashIds.ToString(CultureInfo.InvariantCulture), CrashRounds.ToString(CultureInfo.InvariantCulture), "200"])
        {
            RedirectStandardInput = true,   // never written: the child delivers until killed, or until this process is gone
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
