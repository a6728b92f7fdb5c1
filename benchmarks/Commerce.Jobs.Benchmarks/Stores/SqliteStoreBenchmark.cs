using System.Text;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using Commerce.Jobs.Adapters.Sqlite;
using Commerce.Jobs.History;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Benchmarks.Stores;

/// <summary>
/// Inbox records enqueued and acknowledged through a store at batch 500 (issue 5: SQLite ≥ 50,000 records/s): one
/// operation is one record; an invocation enqueues 500 records (one transaction), claims them (one statement) and
/// completes them as delivered (one transaction). <see cref="Sqlite"/> runs against a temp file in WAL mode: the enqueue
/// is synced to disk before it returns (<c>synchronous=FULL</c>), the claim and the completion (progress, redone after a
/// power cut) are synced with the next enqueue. The in-memory store is the baseline.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(Config))]
public class SqliteStoreBenchmark
{
    private const int Batch = 500;
    private const string Job = "order-submit";
    private const string Owner = "bench-host";
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    private readonly RecordCompletion[] _completions = new RecordCompletion[Batch];
    private PendingRecord[] _records = [];
    private string _directory = string.Empty;
    private SqliteJobStore _sqlite = null!;
    private InMemoryJobStore _memory = null!;

    [GlobalSetup]
    public void Setup()
    {
        _records = [.. Enumerable.Range(0, Batch).Select(i =>
        {
            var id = $"SO{i:D6}";
            return new PendingRecord(id, $"{Job}:{id}", Encoding.UTF8.GetBytes($"{{\"id\":\"{id}\",\"customer\":\"C{i % 97:D4}\",\"total\":{i * 1.25m}}}"));
        })];
        _directory = Path.Combine(Path.GetTempPath(), "commerce-jobs-bench", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        _sqlite = SqliteJobStore.Open(new SqliteStoreOptions { ConnectionString = $"Data Source={Path.Combine(_directory, "jobs.db")}" });
        _memory = new InMemoryJobStore();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _sqlite.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Batch)]
    public Task InMemory() => CycleAsync(_memory);

    [Benchmark(OperationsPerInvoke = Batch)]
    public Task Sqlite() => CycleAsync(_sqlite);

    private async Task CycleAsync(IJobStore store)
    {
        await store.EnqueueRecordsAsync(Job, _records, default);
        var claimed = await store.ClaimRecordsAsync(Job, new RecordClaim(Owner, Batch, Now, Now.AddMinutes(5)), default);
        if (claimed.Count != Batch)
        {
            throw new InvalidOperationException($"Claimed {claimed.Count} records, expected {Batch}.");
        }

        for (var i = 0; i < claimed.Count; i++)
        {
            _completions[i] = new RecordCompletion(claimed[i].Sequence, RecordStatus.Delivered);
        }

        await store.CompleteRecordsAsync(Job, Owner, _completions, default);
    }

    /// <summary>Records per second beside the time per record.</summary>
    private sealed class Config : BenchmarkDotNet.Configs.ManualConfig
    {
        public Config() => AddColumn(StatisticColumn.OperationsPerSecond, StatisticColumn.Median);
    }
}
