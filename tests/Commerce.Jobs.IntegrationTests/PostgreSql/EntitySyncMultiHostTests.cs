using System.Globalization;
using Commerce.Jobs.IntegrationTests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>
/// Entity sync on three hosts of one application sharing one PostgreSQL store, on the real clock (a real server), each
/// host with its own data source, all delivering to one recording target: whatever the hosts do — publish upserts and
/// deletes of the same ids, pause, resume, full syncs, a host torn down in the middle of a delivery — the target never
/// goes back to an older version of an id, ends holding exactly the application's final state, no id is delivered by
/// two live hosts at once, nothing published is delivered twice, and every record carries its change's idempotency key.
/// A torn-down host's delivery never answers (as a dead host's): another host takes the id over once its lease expired.
/// The same holds for a real crash: the crash host (a child process) killed with SIGKILL while a host of the test delivers
/// beside it (<c>EntitySyncMultiHostTests.Kill.cs</c>).
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed partial class EntitySyncMultiHostTests(PostgreSqlServer server) : IAsyncLifetime
{
    private const string Type = "items";
    private const int Hosts = 3;

    /// <summary>How long a case waits for its hosts to deliver everything after its operations; generous, the machine is shared.</summary>
    private static readonly TimeSpan DrainPatience = TimeSpan.FromSeconds(45);

    /// <summary>A few ids, so that hosts meet on them; most of them hostile: control characters (NUL, CR/LF), non-ASCII, a lone surrogate, long, differing only in case.</summary>
    private static readonly string[] Ids = ["plain", "crlf\r\n\ttab\0nul", "ünï-東京-😀", "lone\uD800surrogate", new string('x', 300) + "-long", "Plain"];

    private static int s_cases;
    private static int s_shrinks;
    private string _connectionString = string.Empty;

    public enum OpKind
    {
        Upsert,
        Delete,
        Pause,
        Resume,
        FullSync,
        AbandonMidDelivery,
    }

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("entity_multi_host");

    public Task DisposeAsync() => Task.CompletedTask;

    private static readonly Gen<Op> OpGen =
        from kind in Gen.Frequency(
            (8, Gen.Constant(OpKind.Upsert)),
            (3, Gen.Constant(OpKind.Delete)),
            (1, Gen.Constant(OpKind.Pause)),
            (1, Gen.Constant(OpKind.Resume)),
            (1, Gen.Constant(OpKind.FullSync)),
            (2, Gen.Constant(OpKind.AbandonMidDelivery)))
        from host in Gen.Choose(0, Hosts - 1)
        from id in Gen.Choose(0, Ids.Length - 1)
        select new Op(kind, host, id);

    /// <summary>
    /// Op lists of 1 to 12, shrunk by halves and by dropping the host tear-downs: few candidates per step, as each one is a
    /// whole case on a real server; and after a few steps no more, so a failing property ends within its bound.
    /// </summary>
    private static readonly Arbitrary<Op[]> Ops = Arb.From(
        from n in Gen.Choose(1, 12) from ops in Gen.ArrayOf(OpGen, n) select ops,
        ops => Interlocked.Increment(ref s_shrinks) > 3 || ops.Length < 2
            ? []
            : new[] { ops[..(ops.Length / 2)], ops[(ops.Length / 2)..], ops.Where(o => o.Kind != OpKind.AbandonMidDelivery).ToArray() }.Where(o => o.Length > 0 && o.Length < ops.Length));

    [Property(MaxTest = 12)]
    public Property Three_hosts_never_send_an_id_back_in_version_end_with_the_final_state_and_never_deliver_an_id_twice_at_once()
        => Prop.ForAll(Ops, ops => Task.Run(() => RunCaseAsync(ops)).GetAwaiter().GetResult());

    private async Task RunCaseAsync(Op[] ops)
    {
        var schema = $"es_multi_{Interlocked.Increment(ref s_cases).ToString(CultureInfo.InvariantCulture)}";
        var truth = new EntitySourceOfTruth(Type);
        var recorder = new EntitySyncRecorder("recording", latency: TimeSpan.FromMilliseconds(15));
        var generations = new int[Hosts];
        var hosts = new EntitySyncHost[Hosts];
        var log = new List<string>();
        Task<EntitySyncHost> Start(int k) => EntitySyncHost.StartAsync($"host-{k}.{generations[k]++}", _connectionString, schema, Type, recorder, truth);
        try
        {
            for (var k = 0; k < Hosts; k++)
            {
                hosts[k] = await Start(k);
            }

            foreach (var op in ops)
            {
                var host = hosts[op.Host];
                log.Add($"{op} on {host.Name}");
                switch (op.Kind)
                {
                    case OpKind.Upsert or OpKind.Delete:
                        await host.Sync.PublishAsync(truth.Change(Ids[op.Id], op.Kind == OpKind.Delete), CancellationToken.None);
                        break;
                    case OpKind.Pause:
                        await host.Sync.PauseAsync(Type, CancellationToken.None);
                        break;
                    case OpKind.Resume:
                        await host.Sync.ResumeAsync(Type, CancellationToken.None);
                        break;
                    case OpKind.FullSync:
                        await host.Sync.StartFullSyncAsync(Type, CancellationToken.None);
                        break;
                    case OpKind.AbandonMidDelivery:
                        // The host's deliveries hang from now on; a delete (never paused) gives it one to be in the middle of.
                        recorder.Hang(host.Name);
                        var delete = truth.Change(Ids[op.Id], delete: true);
                        await host.Sync.PublishAsync(delete, CancellationToken.None);
                        await Wait.UntilAsync(
                            () => recorder.Hung.Any(h => h.Host == host.Name) || recorder.Deliveries.Any(d => d.Id == delete.Id && d.Version == delete.Version),
                            () => $"{delete} published on {host.Name} was not delivered by any host");
                        await host.AbandonAsync();
                        hosts[op.Host] = await Start(op.Host);
                        log.Add($"  {host.Name} abandoned holding [{string.Join(", ", recorder.Hung.Where(h => h.Host == host.Name))}], {hosts[op.Host].Name} started");
                        break;
                }
            }

            // Resumed everywhere; then every host's status (the public API) shows nothing pending, no full sync and no pause.
            foreach (var host in hosts)
            {
                await host.Sync.ResumeAsync(Type, CancellationToken.None);
            }

            // (A host's status is the store's counts as that host last read them: the target's state says when it is done.)
            var because = $"case {schema}: {string.Join("; ", log)}";
            await UntilAsync(
                () => recorder.Violations.Count > 0 || (hosts.All(h => h.IsDrained(Type)) && recorder.LiveInFlight == 0 && Wrong(truth, recorder).Count == 0),
                () => $"{because}\nthe hosts did not deliver the final state: {string.Join(" | ", hosts.Select(h => h.DescribeStatus(Type)))}\n"
                    + $"{string.Join("\n", Wrong(truth, recorder))}\ndeliveries: {string.Join("; ", recorder.Deliveries)}\nviolations: {string.Join("\n", recorder.Violations)}");
            Assert.True(recorder.Violations.Count == 0, $"{because}\nviolations:\n{string.Join("\n", recorder.Violations)}");

            // Nothing published was delivered twice (a repair may re-send a version the target has: that is its purpose).
            var twice = recorder.Deliveries.Where(d => d.Origin != ItemPayload.FromSource).GroupBy(d => (d.Id, d.Version, d.Kind)).Where(g => g.Count() > 1).ToList();
            Assert.True(twice.Count == 0, $"{because}\ndelivered twice: {string.Join("; ", twice.Select(g => string.Join(" and ", g)))}");
        }
        finally
        {
            recorder.ReleaseHung();
            await Task.WhenAll(hosts.Where(h => h is not null).Select(h => h.StopAsync().AsTask()));
        }
    }

    /// <summary>Where the target does not hold the application's final state: each entity's latest version, nothing of a deleted one.</summary>
    private static List<string> Wrong(EntitySourceOfTruth truth, EntitySyncRecorder recorder)
    {
        var held = recorder.Last();
        return [.. truth.Snapshot()
            .Select(e => (Id: e.Key, Expected: e.Value.Deleted ? "nothing" : $"v{e.Value.Version}",
                Actual: held.TryGetValue(e.Key, out var d) && d.Kind == EntityChangeKind.Upsert ? $"v{d.Version}" : "nothing"))
            .Where(e => e.Expected != e.Actual)
            .Select(e => $"{EntityDelivery.Show(e.Id)}: expected {e.Expected}, the target holds {e.Actual}")];
    }

    /// <summary>Polls <paramref name="condition"/> (the hosts' status) until it holds, for at most <see cref="DrainPatience"/>.</summary>
    private static async Task UntilAsync(Func<bool> condition, Func<string> because)
    {
        var deadline = Environment.TickCount64 + (long)DrainPatience.TotalMilliseconds;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, $"Not within {DrainPatience.TotalSeconds} s: {because()}");
            await Task.Delay(50);
        }
    }

    public sealed record Op(OpKind Kind, int Host, int Id)
    {
        public override string ToString() => Kind is OpKind.Pause or OpKind.Resume or OpKind.FullSync
            ? $"{Kind} @{Host}"
            : $"{Kind} {EntityDelivery.Show(Ids[Id])} @{Host}";
    }
}
