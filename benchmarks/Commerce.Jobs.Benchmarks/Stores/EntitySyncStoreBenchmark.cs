using BenchmarkDotNet.Attributes;
using Commerce.Jobs.Benchmarks.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Commerce.Jobs.Benchmarks.Stores;

/// <summary>
/// Entity sync on a store, in two phases measured apart. <c>*Publish</c>: 100,000 upserts over 10,000 ids published to a
/// paused type (<c>PublishAsync</c> in lists of 1,000; consolidated in the store, one held row per id); one operation is
/// one published upsert. <c>*Deliver*</c>: the same 100,000 upserts published before the measurement, then
/// the type resumed on every host until the target has one delivery per id; one operation is one delivery (one id).
/// </summary>
/// <remarks>
/// SQLite: one host on a temp file, <c>UseSqliteStore</c> defaults. PostgreSQL: service providers with
/// <c>UsePostgreSqlStore</c> on one schema of one server, one host or three (each its own store, data source and lanes;
/// the lanes claim the held rows together under leases); publishing is spread over the hosts (list i by host i mod n). The server is the one
/// <see cref="PostgreSqlStoreBenchmark"/> uses: <c>COMMERCE_JOBS_BENCH_PG</c> (schema <c>bench_es</c>, dropped) or a
/// throwaway PostgreSQL 15 cluster. Every iteration starts from an empty file or schema. The payload is a small object
/// (about 60 bytes of JSON). Not in the <c>Engine</c> category: run with <c>--filter '*EntitySyncStore*'</c>.
/// </remarks>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class EntitySyncStoreBenchmark
{
    public const int Changes = 100_000;
    public const int Ids = 10_000;
    private const int Chunk = 1_000;
    private const string Type = "categories";
    private const string Schema = "bench_es";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    private PostgreSqlStoreBenchmark.ThrowawayServer? _server;
    private string _pgConnectionString = string.Empty;
    private string? _sqliteFile;
    private CountingTarget _target = null!;
    private (ServiceProvider Services, IHostedService[] Hosted, IEntitySync Sync)[] _hosts = [];
    private EntityChange[][] _chunks = [];

    [GlobalSetup(Targets = [nameof(PostgreSqlPublishOneHost), nameof(PostgreSqlPublishThreeHosts), nameof(PostgreSqlDeliverOneHost), nameof(PostgreSqlDeliverThreeHosts)])]
    public void StartServer()
    {
        BuildChanges();
        var configured = Environment.GetEnvironmentVariable("COMMERCE_JOBS_BENCH_PG");
        if (string.IsNullOrEmpty(configured))
        {
            _server = PostgreSqlStoreBenchmark.ThrowawayServer.Start();
            _pgConnectionString = _server.ConnectionString;
        }
        else
        {
            _pgConnectionString = configured;
        }

        DropSchema();
    }

    [GlobalSetup(Targets = [nameof(SqlitePublish), nameof(SqliteDeliverAfterResume)])]
    public void BuildChanges() =>
        _chunks = [.. Enumerable.Range(0, Changes / Chunk).Select(c => Enumerable.Range(c * Chunk, Chunk)
            .Select(i => EntityChange.Upsert(Type, $"c-{i % Ids}", new Category($"c-{i % Ids}", $"Category {i}", i % 97), i + 1)).ToArray())];

    [GlobalCleanup]
    public void StopServer()
    {
        NpgsqlConnection.ClearAllPools();
        _server?.Dispose();
    }

    [IterationSetup(Targets = [nameof(SqlitePublish)])]
    public void StartSqlite() => StartHosts(1, sqlite: true);

    [IterationSetup(Targets = [nameof(SqliteDeliverAfterResume)])]
    public void StartAndFillSqlite()
    {
        StartHosts(1, sqlite: true);
        PublishAsync().GetAwaiter().GetResult();
    }

    [IterationSetup(Targets = [nameof(PostgreSqlPublishOneHost)])]
    public void StartOnePostgreSqlHost() => StartHosts(1, sqlite: false);

    [IterationSetup(Targets = [nameof(PostgreSqlPublishThreeHosts)])]
    public void StartThreePostgreSqlHosts() => StartHosts(3, sqlite: false);

    [IterationSetup(Targets = [nameof(PostgreSqlDeliverOneHost)])]
    public void StartAndFillOnePostgreSqlHost()
    {
        StartHosts(1, sqlite: false);
        PublishAsync().GetAwaiter().GetResult();
    }

    [IterationSetup(Targets = [nameof(PostgreSqlDeliverThreeHosts)])]
    public void StartAndFillThreePostgreSqlHosts()
    {
        StartHosts(3, sqlite: false);
        PublishAsync().GetAwaiter().GetResult();
    }

    [IterationCleanup]
    public void StopHosts()
    {
        foreach (var (services, hosted, _) in _hosts)
        {
            foreach (var service in hosted.Reverse())
            {
                service.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
            }

            services.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        _hosts = [];
        if (_sqliteFile is { } file)
        {
            SqliteConnection.ClearAllPools();
            foreach (var path in new[] { file, file + "-wal", file + "-shm" })
            {
                File.Delete(path);
            }

            _sqliteFile = null;
        }
        else if (_pgConnectionString.Length > 0)
        {
            DropSchema();
        }
    }

    /// <summary>100,000 upserts over 10,000 ids into the paused type on one SQLite host.</summary>
    [Benchmark(OperationsPerInvoke = Changes)]
    public Task SqlitePublish() => PublishAsync();

    /// <summary>Resume, until 10,000 ids (held on the SQLite file) are delivered once each.</summary>
    [Benchmark(OperationsPerInvoke = Ids)]
    public Task SqliteDeliverAfterResume() => ResumeAndDeliverAsync();

    /// <summary>100,000 upserts over 10,000 ids into the paused type on one PostgreSQL host.</summary>
    [Benchmark(OperationsPerInvoke = Changes)]
    public Task PostgreSqlPublishOneHost() => PublishAsync();

    /// <summary>The same, spread over three PostgreSQL hosts publishing at once (list i by host i mod 3).</summary>
    [Benchmark(OperationsPerInvoke = Changes)]
    public Task PostgreSqlPublishThreeHosts() => PublishAsync();

    /// <summary>Resume, until one PostgreSQL host's lane has delivered 10,000 ids once each (the comparison).</summary>
    [Benchmark(OperationsPerInvoke = Ids)]
    public Task PostgreSqlDeliverOneHost() => ResumeAndDeliverAsync();

    /// <summary>Resume on three hosts, until their lanes, claiming together, have delivered 10,000 ids once each.</summary>
    [Benchmark(OperationsPerInvoke = Ids)]
    public Task PostgreSqlDeliverThreeHosts() => ResumeAndDeliverAsync();

    private void StartHosts(int hosts, bool sqlite)
    {
        _target = new CountingTarget("search", Ids);
        if (sqlite)
        {
            _sqliteFile = Path.Combine(Path.GetTempPath(), $"commerce-jobs-bench-es-{Guid.NewGuid():N}.db");
        }

        _hosts = new (ServiceProvider, IHostedService[], IEntitySync)[hosts];
        for (var h = 0; h < hosts; h++)
        {
            var collection = new ServiceCollection();
            collection.AddLogging();
            collection.AddCommerceJobs(jobs =>
            {
                if (sqlite)
                {
                    jobs.UseSqliteStore($"Data Source={_sqliteFile}");
                }
                else
                {
                    jobs.UsePostgreSqlStore(_pgConnectionString, o => o.Schema = Schema);
                }

                jobs.AddTarget(_target);
                jobs.AddEntitySync(Type).DeliverTo("search").Paused().Batch(size: 500);
            });
            var services = collection.BuildServiceProvider();
            IHostedService[] hosted = [.. services.GetServices<IHostedService>()];
            foreach (var service in hosted)
            {
                service.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
            }

            _hosts[h] = (services, hosted, services.GetRequiredService<IEntitySync>());
        }
    }

    private async Task PublishAsync()
    {
        await Task.WhenAll(_hosts.Select((host, h) => Task.Run(async () =>
        {
            for (var c = h; c < _chunks.Length; c += _hosts.Length)
            {
                await host.Sync.PublishAsync(_chunks[c], CancellationToken.None).ConfigureAwait(false);
            }
        }))).ConfigureAwait(false);

        if (_target.Deliveries != 0)
        {
            throw new InvalidOperationException($"{_target.Deliveries} deliveries while paused.");
        }
    }

    private async Task ResumeAndDeliverAsync()
    {
        foreach (var host in _hosts)
        {
            await host.Sync.ResumeAsync(Type, CancellationToken.None).ConfigureAwait(false);
        }

        try
        {
            await _target.AllDelivered.WaitAsync(Timeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Only {_target.Deliveries} of {Ids} consolidated deliveries arrived within {Timeout}.");
        }

        if (_target.Deliveries != Ids)
        {
            throw new InvalidOperationException($"{_target.Deliveries} deliveries for {Ids} ids: not consolidated.");
        }
    }

    private void DropSchema()
    {
        using var connection = new NpgsqlConnection(_pgConnectionString);
        connection.Open();
        using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {Schema} CASCADE", connection);
        command.ExecuteNonQuery();
    }

    /// <summary>The payload of one upsert.</summary>
    public sealed record Category(string Id, string Name, int Rank);

    /// <summary>Counts deliveries (all hosts share it) and completes <see cref="AllDelivered"/> at the expected count, without keeping them.</summary>
    private sealed class CountingTarget(string name, long expected) : IDeliveryTarget
    {
        private readonly TaskCompletionSource _allDelivered = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _deliveries;

        public string Name { get; } = name;

        public long Deliveries => Interlocked.Read(ref _deliveries);

        public Task AllDelivered => _allDelivered.Task;

        public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
        {
            ArgumentNullException.ThrowIfNull(batch);
            cancellationToken.ThrowIfCancellationRequested();
            if (Interlocked.Add(ref _deliveries, batch.Records.Length) >= expected)
            {
                _allDelivered.TrySetResult();
            }

            return ValueTask.FromResult(DeliveryResult.Delivered);
        }
    }
}
