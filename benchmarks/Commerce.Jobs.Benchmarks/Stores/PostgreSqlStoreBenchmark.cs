using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.Storage;
using Npgsql;

namespace Commerce.Jobs.Benchmarks.Stores;

/// <summary>
/// Inbox records claimed and acknowledged through the PostgreSQL store by several hosts at batch 500 (issue 5: ≥ 20,000
/// records/s across 3 hosts). One operation is one record. Before each iteration (not measured) 30,000 records are
/// enqueued; the iteration drains them: each host (its own store, data source and connections) claims 500 under a lease,
/// reading forward as a run does, and completes them as delivered, until its claim comes back empty.
/// <see cref="OneHost"/> drains alone (the baseline), <see cref="ThreeHosts"/> drains with three hosts at once
/// (<c>FOR UPDATE SKIP LOCKED</c> keeps them off each other's rows).
/// </summary>
/// <remarks>
/// The server: set <c>COMMERCE_JOBS_BENCH_PG</c> to a connection string (the benchmark uses, and drops, schema
/// <c>bench</c>), or leave it unset and the benchmark starts a throwaway PostgreSQL 15 cluster on 127.0.0.1 (fsync off,
/// like the integration tests; needs <c>apt-get install -y postgresql</c>) and stops it at the end.
/// </remarks>
[MemoryDiagnoser]
[InvocationCount(1)]
[Config(typeof(Config))]
public class PostgreSqlStoreBenchmark
{
    private const int Records = 30_000;
    private const int Batch = 500;
    private const string Job = "order-submit";
    private const string Schema = "bench";
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    private PendingRecord[] _records = [];
    private ThrowawayServer? _server;
    private string _connectionString = string.Empty;
    private PostgreSqlJobStore[] _hosts = [];

    [GlobalSetup]
    public void Setup()
    {
        _records = [.. Enumerable.Range(0, Records).Select(i =>
        {
            var id = $"SO{i:D6}";
            return new PendingRecord(id, $"{Job}:{id}", Encoding.UTF8.GetBytes($"{{\"id\":\"{id}\",\"customer\":\"C{i % 97:D4}\",\"total\":{i * 1.25m}}}"));
        })];

        var configured = Environment.GetEnvironmentVariable("COMMERCE_JOBS_BENCH_PG");
        if (string.IsNullOrEmpty(configured))
        {
            _server = ThrowawayServer.Start();
            _connectionString = _server.ConnectionString;
        }
        else
        {
            _connectionString = configured;
        }

        Execute($"DROP SCHEMA IF EXISTS {Schema} CASCADE");
        _hosts = [.. Enumerable.Range(0, 3).Select(_ => new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = Schema }))];
    }

    [IterationSetup]
    public void Fill()
    {
        foreach (var chunk in _records.Chunk(5_000))
        {
            _hosts[0].EnqueueRecordsAsync(Job, chunk, default).AsTask().GetAwaiter().GetResult();
        }

        Execute($"VACUUM ANALYZE {Schema}.inbox");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var host in _hosts)
        {
            host.Dispose();
        }

        NpgsqlConnection.ClearAllPools();
        _server?.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Records)]
    public Task OneHost() => DrainAsync(1);

    [Benchmark(OperationsPerInvoke = Records)]
    public Task ThreeHosts() => DrainAsync(3);

    private async Task DrainAsync(int hosts)
    {
        var drained = await Task.WhenAll(Enumerable.Range(0, hosts).Select(h => Task.Run(() => DrainOneAsync(_hosts[h], $"host-{h}"))));
        if (drained.Sum() != Records)
        {
            throw new InvalidOperationException($"Drained {drained.Sum()} records, expected {Records}.");
        }
    }

    private static async Task<int> DrainOneAsync(PostgreSqlJobStore store, string owner)
    {
        var completions = new RecordCompletion[Batch];
        var after = 0L;
        var drained = 0;
        while (true)
        {
            var claimed = await store.ClaimRecordsAsync(Job, new RecordClaim(owner, Batch, Now, Now.AddMinutes(5), after), default);
            if (claimed.Count == 0)
            {
                return drained;
            }

            var settled = claimed.Count == Batch ? completions : new RecordCompletion[claimed.Count];
            for (var i = 0; i < claimed.Count; i++)
            {
                settled[i] = new RecordCompletion(claimed[i].Sequence, RecordStatus.Delivered);
            }

            after = claimed[^1].Sequence;
            await store.CompleteRecordsAsync(Job, owner, settled, default);
            drained += claimed.Count;
        }
    }

    private void Execute(string sql)
    {
        using var connection = new NpgsqlConnection(_connectionString);
        connection.Open();
        using var command = new NpgsqlCommand(sql, connection);
        command.ExecuteNonQuery();
    }

    /// <summary>Records per second beside the time per record.</summary>
    private sealed class Config : BenchmarkDotNet.Configs.ManualConfig
    {
        public Config() => AddColumn(StatisticColumn.OperationsPerSecond, StatisticColumn.Median);
    }

    /// <summary>A PostgreSQL 15 cluster in a temp folder on 127.0.0.1 and a free port, as the integration tests start one.</summary>
    internal sealed class ThrowawayServer : IDisposable
    {
        private const string Bin = "/usr/lib/postgresql/15/bin";
        private readonly string _root;
        private readonly string _data;

        private ThrowawayServer(string root, int port)
        {
            _root = root;
            _data = Path.Combine(root, "data");
            ConnectionString = $"Host=127.0.0.1;Port={port.ToString(CultureInfo.InvariantCulture)};Username=postgres;Database=postgres";
        }

        public string ConnectionString { get; }

        /// <summary>Starts a cluster: with <c>fsync</c> and synchronous commits off (fast, for the inbox benchmarks), or on when <paramref name="durable"/>.</summary>
        public static ThrowawayServer Start(bool durable = false)
        {
            if (!File.Exists(Path.Combine(Bin, "initdb")))
            {
                throw new InvalidOperationException($"PostgreSQL 15 is not installed ({Bin}/initdb missing): apt-get install -y postgresql, or set COMMERCE_JOBS_BENCH_PG to a connection string.");
            }

            var root = Directory.CreateTempSubdirectory("commerce-jobs-bench-pg-").FullName;
            int port;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }

            var server = new ThrowawayServer(root, port);
            if (Environment.UserName == "root")
            {
                Run("chown", "-R", "postgres:postgres", root);
            }

            server.Postgres("initdb", "-D", server._data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale=C");
            server.Postgres("pg_ctl", "-D", server._data, "-w", "-l", Path.Combine(root, "server.log"), "-o",
                $"-h 127.0.0.1 -p {port.ToString(CultureInfo.InvariantCulture)} -k {root} {(durable ? "-c fsync=on -c synchronous_commit=on" : "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")} -c shared_buffers=256MB", "start");
            return server;
        }

        public void Dispose()
        {
            try
            {
                Postgres("pg_ctl", "-D", _data, "-m", "immediate", "stop");
            }
            finally
            {
                Directory.Delete(_root, recursive: true);
            }
        }

        private void Postgres(string tool, params string[] arguments)
        {
            var file = Path.Combine(Bin, tool);
            if (Environment.UserName == "root")
            {
                Run("runuser", ["-u", "postgres", "--", file, .. arguments]);
            }
            else
            {
                Run(file, arguments);
            }
        }

        private static void Run(string file, params string[] arguments)
        {
            var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var argument in arguments)
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(60_000) || process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} failed: {output.Result}{error.Result}");
            }
        }
    }
}
