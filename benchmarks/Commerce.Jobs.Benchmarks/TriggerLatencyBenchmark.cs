using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Commerce.Jobs.Adapters;
using Commerce.Jobs.Benchmarks.Infrastructure;

namespace Commerce.Jobs.Benchmarks;

/// <summary>
/// Latency of one trigger of an idle job, one operation per iteration:
/// <list type="bullet">
/// <item><see cref="TriggerToBodyStart"/>: <c>engine.Trigger(name)</c> → the job's body starts (DESIGN §4: p99 &lt; 0.05 ms);</item>
/// <item><see cref="SignalToDelivered"/>: one record added to an <see cref="InMemoryRecordSource{T}"/> and
/// <c>engine.Signal(name)</c> → the record reaches an <see cref="InMemoryTarget{T}"/> (p99 &lt; 0.5 ms);</item>
/// <item><see cref="BareChannelWake"/> (baseline): the floor for any of it, a bare <see cref="Channel{T}"/> write that wakes a
/// waiting thread-pool reader.</item>
/// </list>
/// The measured time of an iteration ends when the benchmark thread, waiting on a reusable completion, is released;
/// the "In-proc" columns are the same latencies timed inside the process (trigger call → body or target entered), without
/// that final wake-up. Between iterations (not measured) the previous run is allowed to finish, so every trigger finds the job idle.
/// </summary>
[Config(typeof(LatencyConfig))]
[MemoryDiagnoser]
[BenchmarkCategory(BenchSettings.EngineCategory)]
public class TriggerLatencyBenchmark
{
    private const string PingJob = "ping";
    private const string OrdersJob = "order-export";

    private readonly ReusableSignal _bodyStarted = new();
    private readonly ReusableSignal _delivered = new();
    private readonly ReusableSignal _woken = new();
    private readonly LatencySamples _samples = new(1 << 16);
    private readonly Order _order = new("order-0000001", 42m);
    private EngineHost _host = null!;
    private InMemoryRecordSource<Order> _source = null!;
    private Channel<int> _bare = null!;
    private Task _bareReader = Task.CompletedTask;
    private long _runs;
    private long _operations;
    private long _allocated;
    private long _allocatedBefore;
    private string _method = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _source = new InMemoryRecordSource<Order>(o => o.Id);
        var target = new InMemoryTarget<Order>(keepRecords: false)
        {
            Respond = _ =>
            {
                _samples.Stop();
                _delivered.Set();
                return DeliveryResult.Delivered;
            },
        };

        _host = EngineHost.Create(jobs =>
        {
            jobs.AddJob(PingJob, (_, _) =>
            {
                _samples.Stop();
                _bodyStarted.Set();
                return ValueTask.FromResult(JobResult.Success);
            });
            jobs.AddRecordJob<Order>(OrdersJob)
                .ReadFrom(_source)
                .ReportStatusTo(_source)
                .DeliverTo(target)
                .WithKey(o => o.Id)
                .Schedule(Schedule.Automatic(cleanupRunsPerDay: 0));
        });

        _bare = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _bareReader = Task.Run(async () =>
        {
            var reader = _bare.Reader;
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                while (reader.TryRead(out _))
                {
                    _samples.Stop();
                    _woken.Set();
                }
            }
        });

        WarmUp();
    }

    /// <summary>
    /// Not measured: waits until the previous run has finished, so the job is idle when triggered, and adds up what the
    /// previous operation allocated on every thread, its whole run included (the "Alloc/op" column; BenchmarkDotNet's
    /// Allocated column samples one invocation and stops when the body starts).
    /// </summary>
    [IterationSetup]
    public void WaitUntilIdle()
    {
        _host.SpinUntilCompleted(_runs);
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        if (_operations > 0)
        {
            _allocated += allocated - _allocatedBefore;
        }

        _allocatedBefore = allocated;
        _operations++;
    }

    [Benchmark(Baseline = true)]
    public ValueTask BareChannelWake()
    {
        _method = nameof(BareChannelWake);
        var woken = _woken.Arm();
        _samples.Start();
        _bare.Writer.TryWrite(1);
        return woken;
    }

    [Benchmark]
    public ValueTask TriggerToBodyStart()
    {
        _method = nameof(TriggerToBodyStart);
        _runs++;
        var started = _bodyStarted.Arm();
        _samples.Start();
        _host.Engine.Trigger(PingJob);
        return started;
    }

    [Benchmark]
    public ValueTask SignalToDelivered()
    {
        _method = nameof(SignalToDelivered);
        _runs++;
        var delivered = _delivered.Arm();
        _samples.Start();

        // The same id each time: the source keeps one entry, pending again, so a read does not grow with the iterations.
        _source.Add(_order);
        _host.Engine.Signal(OrdersJob);
        return delivered;
    }

    /// <summary>
    /// Runs every path a few thousand times, with pauses, before BenchmarkDotNet's own warm-up: tiered JIT promotes the
    /// engine's methods ~100 ms after their first calls, on a background thread that would otherwise compete for one of
    /// the two cores during the measured iterations.
    /// </summary>
    private void WarmUp()
    {
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 2_000; i++)
            {
                WaitUntilIdle();
                BareChannelWake().AsTask().GetAwaiter().GetResult();
                WaitUntilIdle();
                TriggerToBodyStart().AsTask().GetAwaiter().GetResult();
                WaitUntilIdle();
                SignalToDelivered().AsTask().GetAwaiter().GetResult();
            }

            WaitUntilIdle();
            Thread.Sleep(300);
        }

        _samples.Reset();
        _operations = 0;
        _allocated = 0;
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _host.SpinUntilCompleted(_runs);
        _samples.WriteMetrics(this, _method);
        if (_operations > 1)
        {
            Metrics.Write(this, _method, "alloc-per-op", _allocated / (double)(_operations - 1));
        }

        _bare.Writer.TryComplete();
        await _bareReader.ConfigureAwait(false);
        await _host.DisposeAsync().ConfigureAwait(false);
    }
}
