using BenchmarkDotNet.Attributes;
using Commerce.Jobs.Adapters;
using Commerce.Jobs.Benchmarks.Infrastructure;

namespace Commerce.Jobs.Benchmarks;

/// <summary>
/// Record-job throughput on the retry path: 1,000,000 records to an in-memory target that fails the first attempt of
/// every tenth batch transiently (<see cref="TenPercentOfBatchesFailOnce"/>), against the same run with no failures
/// (<see cref="NoFailures"/>, the baseline). The job retries within its window (default: 3 retries in 60 s, 1 s base
/// delay); the engine runs on an <see cref="AutoAdvanceTimeProvider"/>, so a retry delay moves the fake clock instead
/// of waiting. One operation is one record.
/// The target's circuit breaker is set to open at 50% failures: with the default (FailureRatio 0.1, MinimumThroughput
/// 10) a target failing one batch in ten opens the breaker on its tenth call (1/10 ≥ 0.1) and the run stops with the
/// rest of its records pending, which is the health rule working, not the retry path this benchmark measures.
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
[BenchmarkCategory(BenchSettings.EngineCategory)]
public class RetryPathBenchmark
{
    public const int Records = 1_000_000;
    private const string JobName = "order-export";

    private static readonly DeliveryResult Unavailable = DeliveryResult.TransientFailure("503 Service Unavailable");

    private readonly CpuMeter _cpu = new();
    private EngineHost _host = null!;
    private InMemoryTarget<Order> _target = null!;
    private AutoAdvanceTimeProvider _time = null!;
    private long _runs;
    private long _firstAttempts;
    private long _failures;
    private int _failEvery;
    private string _method = string.Empty;

    [Params(100, 1_000)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var orders = Order.Create(Records);
        _time = new AutoAdvanceTimeProvider(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
        _target = new InMemoryTarget<Order>(keepRecords: false) { Respond = Respond };
        var source = new ArrayRecordSource<Order>(orders);
        _host = EngineHost.Create(
            jobs =>
            {
                jobs.AddRecordJob<Order>(JobName)
                    .ReadFrom(source)
                    .DeliverTo(_target)
                    .WithKey(o => o.Id)
                    .Batch(BatchSize)
                    .RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(60));
                jobs.ConfigureTarget(_target.GetType().Name, o => o.FailureRatio = 0.5);
                jobs.Configure(o => o.ControlRefreshInterval = Timeout.InfiniteTimeSpan);   // the auto-advancing clock must see only retry delays
            },
            time: _time);
    }

    [IterationCleanup]
    public void StopCpu() => _cpu.Stop(Records);

    [Benchmark(Baseline = true, OperationsPerInvoke = Records)]
    public ValueTask NoFailures()
    {
        _method = nameof(NoFailures);
        _failEvery = 0;
        return RunOnce();
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public ValueTask TenPercentOfBatchesFailOnce()
    {
        _method = nameof(TenPercentOfBatchesFailOnce);
        _failEvery = 10;
        return RunOnce();
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (_cpu.HasData)
        {
            Metrics.Write(this, _method, "cpu-per-op", _cpu.NanosecondsPerOperation);
        }

        var batchesPerRun = (Records + BatchSize - 1) / BatchSize;
        var expectedFailures = _failEvery == 0 ? 0 : _runs * batchesPerRun / _failEvery;
        if (_target.DeliveredCount != _runs * Records || _failures != expectedFailures)
        {
            throw new InvalidOperationException($"{_runs} runs delivered {_target.DeliveredCount} records after {_failures} failed batches; expected {Records} a run and {expectedFailures} failures.");
        }

        Console.WriteLine($"// {_method}: {_runs} runs, {_failures} batches failed once and were retried, fake clock at {_time.GetUtcNow():O}");
        await _host.DisposeAsync().ConfigureAwait(false);
    }

    private ValueTask RunOnce()
    {
        _cpu.Start();
        var done = _host.WhenCompleted(++_runs);
        _host.Engine.Trigger(JobName);
        return done;
    }

    private DeliveryResult Respond(DeliveryBatch<Order> batch)
    {
        if (batch.Attempt == 0 && _failEvery > 0 && Interlocked.Increment(ref _firstAttempts) % _failEvery == 0)
        {
            Interlocked.Increment(ref _failures);
            return Unavailable;
        }

        return DeliveryResult.Delivered;
    }
}
