using BenchmarkDotNet.Attributes;
using Commerce.Jobs.Adapters;
using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.Adapters.Sqlite;
using Commerce.Jobs.Benchmarks.Infrastructure;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Runners;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Commerce.Jobs.Benchmarks.Stores;

/// <summary>
/// Durable runs through the public API, as a host drives them (issue 16, "Durable runs"): a host built with
/// <c>AddCommerceJobs</c> and <c>UseSqliteStore</c> on a temp file with defaults (or <c>UsePostgreSqlStore</c> on a
/// throwaway server with <c>fsync</c> on), one DI-resolved job type with <see cref="Schedule.Manual"/> and
/// <c>MaxConcurrency(16)</c>, history on. One invocation calls <see cref="IJobRunner.Enqueue"/> 20,000 times from one
/// thread, keeping at most 116 runs outstanding (waiting on the oldest handle when full); it ends when the 20,000th
/// handle has completed, that is when its run's history is committed. One operation is one run: Op/s is runs/s.
/// The baseline is the in-memory store, measured the same way in the same run.
/// </summary>
/// <remarks>PostgreSQL: see <see cref="PostgreSqlStoreBenchmark"/> (<c>COMMERCE_JOBS_BENCH_PG</c>, or a throwaway PostgreSQL 15).</remarks>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class DurableRunThroughputBenchmark
{
    public const int Runs = 20_000;
    private const int Outstanding = 116;
    private const string JobName = "order-import";

    private readonly CpuMeter _cpu = new();
    private readonly JobRunHandle[] _handles = new JobRunHandle[Outstanding];
    private DurableHost _host = null!;
    private string _method = string.Empty;

    /// <summary>Gets or sets the store: <c>InMemory</c>, <c>Sqlite</c> or <c>PostgreSql</c>.</summary>
    [Params("InMemory", "Sqlite", "PostgreSql")]
    public string Store { get; set; } = "InMemory";

    /// <summary>
    /// Gets or sets whether the job notifies on failure (the default), so that every successful run is checked against the
    /// history for a failure another host recorded (the recovery check); <see langword="false"/> (<c>NotifyOnFailure(false)</c>)
    /// measures the runs without it. Not a BenchmarkDotNet parameter: <c>--loop … RecoveryCheck=false</c>.
    /// </summary>
    public bool RecoveryCheck { get; set; } = true;

    [GlobalSetup]
    public void Setup() => _host = DurableHost.Create(Store, jobs => jobs.AddJob<NoOpJob>(JobName).Schedule(Schedule.Manual()).MaxConcurrency(16).NotifyOnFailure(RecoveryCheck));

    [IterationCleanup]
    public void StopCpu() => _cpu.Stop(Runs);

    [Benchmark(OperationsPerInvoke = Runs)]
    public async Task Enqueue()
    {
        _method = nameof(Enqueue);
        _cpu.Start();
        var runner = _host.Runner;
        for (var i = 0; i < Runs; i++)
        {
            var slot = i % Outstanding;
            if (i >= Outstanding)
            {
                await _handles[slot].Completion.ConfigureAwait(false);
            }

            _handles[slot] = runner.Enqueue(JobName, null);
        }

        for (var i = 0; i < Outstanding; i++)
        {
            await _handles[i].Completion.ConfigureAwait(false);
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (_cpu.HasData)
        {
            Metrics.Write(this, _method, "cpu-per-op", _cpu.NanosecondsPerOperation);
        }

        // The last answered caller's run is in the history (runs end out of order: among the newest).
        var runs = await _host.Engine.GetRunsAsync(JobName, 1_000, CancellationToken.None).ConfigureAwait(false);
        if (!runs.Any(r => r.RunId == _handles[(Runs - 1) % Outstanding].RunId))
        {
            throw new InvalidOperationException("The last answered run is not in the history.");
        }

        await _host.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>The job: resolved from DI for every run, does nothing.</summary>
    public sealed class NoOpJob : IIntegrationJob
    {
        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken) => ValueTask.FromResult(JobResult.Success);
    }
}

/// <summary>
/// Trigger → start latency of a durable job (issue 16, "Durable runs": SQLite p50 ≤ 0.1 ms): <see cref="IJobTrigger.Signal"/>
/// on an automatic DI-resolved job (<c>MaxConcurrency</c> 1, cleanup runs off) with the store's history on, one trigger per
/// operation, from just before the call to the first line of the job's body (the "In-proc" columns); the next trigger as soon
/// as the previous body has started, as the issue measures it: while the previous run still holds the job's one slot (its
/// history write included), so a trigger waits for that write until the engine frees the slot before it. The in-memory
/// store is the baseline.
/// </summary>
[Config(typeof(LatencyConfig))]
[MemoryDiagnoser]
public class DurableTriggerLatencyBenchmark
{
    private const string JobName = "order-import";

    private DurableHost _host = null!;
    private Probe _probe = null!;
    private long _runs;
    private string _method = string.Empty;

    /// <summary>Gets or sets the store: <c>InMemory</c>, <c>Sqlite</c> or <c>PostgreSql</c>.</summary>
    [Params("InMemory", "Sqlite", "PostgreSql")]
    public string Store { get; set; } = "InMemory";

    [GlobalSetup]
    public void Setup()
    {
        _probe = new Probe();
        _host = DurableHost.Create(
            Store,
            jobs => jobs.AddJob<ProbeJob>(JobName).Schedule(Schedule.Automatic(cleanupRunsPerDay: 0)).MaxConcurrency(1),
            services => services.AddSingleton(_probe));
        for (var i = 0; i < 10; i++)
        {
            WaitUntilIdle();
            SignalToBodyStart().AsTask().GetAwaiter().GetResult();
        }

        WaitUntilIdle();
        _probe.Samples.Reset();
    }

    /// <summary>Waits until every run triggered so far has finished (set-up and clean-up only).</summary>
    public void WaitUntilIdle() => _host.Counter.SpinUntilCompleted(_runs);

    [Benchmark]
    public ValueTask SignalToBodyStart()
    {
        _method = nameof(SignalToBodyStart);
        _runs++;
        var started = _probe.Started.Arm();
        _probe.Samples.Start();
        _host.Trigger.Signal(JobName);
        return started;
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _host.Counter.SpinUntilCompleted(_runs);
        _probe.Samples.WriteMetrics(this, _method);
        await _host.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>What the job tells the benchmark.</summary>
    public sealed class Probe
    {
        internal ReusableSignal Started { get; } = new();

        internal LatencySamples Samples { get; } = new(1 << 16);
    }

    /// <summary>The job: resolved from DI for every run; its first line stops the clock.</summary>
    public sealed class ProbeJob(Probe probe) : IIntegrationJob
    {
        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
        {
            probe.Samples.Stop();
            probe.Started.Set();
            return ValueTask.FromResult(JobResult.Success);
        }
    }
}

/// <summary>
/// Records offered, delivered and acknowledged through the durable inbox (issue 16: SQLite ≥ 100,000 records/s at batch 500):
/// an invocation offers 20,000 records with <see cref="IRecordInbox.OfferAsync{T}"/> (stored in one transaction, synced,
/// then the automatic job is signalled) and ends when the record job (<c>ReadFromInbox</c>, batch 500, a target that only
/// counts) has delivered and acknowledged all of them: claimed 500 at a time under a lease, delivered, completed (removed
/// from the inbox), and its run ended. One operation is one record: Op/s is records/s.
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
public class DurableInboxBenchmark
{
    public const int Records = 20_000;
    private const string JobName = "order-submit";

    private readonly CpuMeter _cpu = new();
    private Order[] _orders = [];
    private DurableHost _host = null!;
    private IRecordInbox _inbox = null!;
    private string _method = string.Empty;

    /// <summary>Gets or sets the store: <c>InMemory</c> or <c>Sqlite</c>.</summary>
    [Params("InMemory", "Sqlite")]
    public string Store { get; set; } = "InMemory";

    [GlobalSetup]
    public void Setup()
    {
        _orders = Order.Create(Records);
        _host = DurableHost.Create(Store, jobs => jobs.AddRecordJob<Order>(JobName)
            .ReadFromInbox()
            .DeliverTo(new InMemoryTarget<Order>(keepRecords: false))
            .WithKey(o => o.Id)
            .Batch(500)
            .Schedule(Schedule.Automatic(cleanupRunsPerDay: 0)));
        _inbox = _host.Services.GetRequiredService<IRecordInbox>();
    }

    [IterationCleanup]
    public void StopCpu() => _cpu.Stop(Records);

    [Benchmark(OperationsPerInvoke = Records)]
    public async Task OfferDeliverAcknowledge()
    {
        _method = nameof(OfferDeliverAcknowledge);
        _cpu.Start();
        var done = _host.Counter.WhenDelivered(Records);
        await _inbox.OfferAsync(JobName, _orders, CancellationToken.None).ConfigureAwait(false);
        await done.ConfigureAwait(false);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (_cpu.HasData)
        {
            Metrics.Write(this, _method, "cpu-per-op", _cpu.NanosecondsPerOperation);
        }

        await _host.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>A host as users build one (ServiceCollection, AddLogging, AddCommerceJobs) on the store named, with its own temp file or server.</summary>
internal sealed class DurableHost : IAsyncDisposable
{
    private readonly string? _directory;
    private readonly PostgreSqlStoreBenchmark.ThrowawayServer? _server;

    private DurableHost(ServiceProvider services, string? directory, PostgreSqlStoreBenchmark.ThrowawayServer? server)
    {
        Services = services;
        _directory = directory;
        _server = server;
        Engine = services.GetRequiredService<JobEngine>();
        Runner = services.GetRequiredService<IJobRunner>();
        Trigger = services.GetRequiredService<IJobTrigger>();
        Counter = services.GetRequiredService<Observer>();
    }

    public ServiceProvider Services { get; }

    public JobEngine Engine { get; }

    public IJobRunner Runner { get; }

    public IJobTrigger Trigger { get; }

    public Observer Counter { get; }

    public static DurableHost Create(string store, Action<CommerceJobsBuilder> configure, Action<IServiceCollection>? services = null)
    {
        string? directory = null;
        PostgreSqlStoreBenchmark.ThrowawayServer? server = null;
        var collection = new ServiceCollection();
        collection.AddLogging();
        services?.Invoke(collection);
        var observer = new Observer();
        collection.AddSingleton(observer);
        collection.AddSingleton<EngineObserver>(observer);
        collection.AddCommerceJobs(jobs =>
        {
            configure(jobs);
            switch (store)
            {
                case "InMemory":
                    break;
                case "Sqlite":
                    directory = Path.Combine(Path.GetTempPath(), "commerce-jobs-bench", Guid.NewGuid().ToString("N"));
                    Directory.CreateDirectory(directory);
                    jobs.UseSqliteStore($"Data Source={Path.Combine(directory, "jobs.db")}");
                    break;
                case "PostgreSql":
                    var configured = Environment.GetEnvironmentVariable("COMMERCE_JOBS_BENCH_PG");
                    if (string.IsNullOrEmpty(configured))
                    {
                        server = PostgreSqlStoreBenchmark.ThrowawayServer.Start(durable: true);
                        configured = server.ConnectionString;
                    }

                    jobs.UsePostgreSqlStore(configured, o => o.Schema = "bench_runs_" + Guid.NewGuid().ToString("N")[..8]);
                    break;
                default:
                    throw new ArgumentException($"Unknown store '{store}'.", nameof(store));
            }
        });
        var provider = collection.BuildServiceProvider();
        var host = new DurableHost(provider, directory, server);
        host.Engine.Start();
        return host;
    }

    public async ValueTask DisposeAsync()
    {
        await Engine.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await Services.DisposeAsync().ConfigureAwait(false);
        NpgsqlConnection.ClearAllPools();
        _server?.Dispose();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    /// <summary>Counts finished runs and the records they delivered; one waiter at a time.</summary>
    internal sealed class Observer : EngineObserver
    {
        private readonly ReusableSignal _reached = new();
        private long _completed;
        private long _delivered;
        private long _deliveredTarget = long.MaxValue;

        public long Completed => Volatile.Read(ref _completed);

        /// <summary>Completes when the runs that ended from now on have delivered <paramref name="records"/> records.</summary>
        public ValueTask WhenDelivered(long records)
        {
            Volatile.Write(ref _deliveredTarget, Volatile.Read(ref _delivered) + records);
            return _reached.Arm();
        }

        /// <summary>Spins (yielding) until <paramref name="total"/> runs have finished: used between invocations, not measured.</summary>
        public void SpinUntilCompleted(long total)
        {
            var start = Environment.TickCount64;
            var spinner = default(SpinWait);
            while (Completed < total)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
                if (Environment.TickCount64 - start > 60_000)
                {
                    throw new TimeoutException($"Only {Completed} of {total} runs finished within a minute.");
                }
            }
        }

        public override void RunCompleted(JobRun run)
        {
            Interlocked.Increment(ref _completed);
            if (Interlocked.Add(ref _delivered, run.Counts.Delivered) >= Volatile.Read(ref _deliveredTarget))
            {
                Volatile.Write(ref _deliveredTarget, long.MaxValue);
                _reached.Set();
            }
        }
    }
}
