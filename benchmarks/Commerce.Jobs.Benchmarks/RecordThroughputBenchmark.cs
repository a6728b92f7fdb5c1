using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Commerce.Jobs.Adapters;
using Commerce.Jobs.Benchmarks.Infrastructure;

namespace Commerce.Jobs.Benchmarks;

/// <summary>
/// Record-job throughput: one run moves 1,000,000 pre-built records from an in-memory source (<see cref="ArrayRecordSource{T}"/>,
/// no lock or allocation per record) to an <see cref="InMemoryTarget{T}"/> that only counts (<c>keepRecords: false</c>),
/// in batches of <see cref="BatchSize"/>. One operation is one record: Op/s is records/s, Allocated is bytes per record.
/// DESIGN §4: ≥ 1,000,000 records/s at batch 1,000, within 2× of the baseline, no allocation per record beyond the record.
/// The baseline does the same hand-off with no library: a producer writes every record into a bounded
/// <see cref="Channel{T}"/> (2 × batch size), a consumer collects batches of <see cref="BatchSize"/> and counts them.
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
[BenchmarkCategory(BenchSettings.EngineCategory)]
public class RecordThroughputBenchmark
{
    public const int Records = 1_000_000;
    private const string JobName = "order-export";

    private readonly CpuMeter _cpu = new();
    private Order[] _orders = [];
    private EngineHost _host = null!;
    private InMemoryTarget<Order> _target = null!;
    private long _runs;
    private long _bareDelivered;
    private string _method = string.Empty;

    [Params(1, 100, 1_000)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _orders = Order.Create(Records);
        _target = new InMemoryTarget<Order>(keepRecords: false);
        var source = new ArrayRecordSource<Order>(_orders);
        _host = EngineHost.Create(jobs => jobs.AddRecordJob<Order>(JobName)
            .ReadFrom(source)
            .DeliverTo(_target)
            .WithKey(o => o.Id)
            .Batch(BatchSize));
    }

    [IterationCleanup]
    public void StopCpu() => _cpu.Stop(Records);

    [Benchmark(Baseline = true, OperationsPerInvoke = Records)]
    public async Task BareChannel()
    {
        _method = nameof(BareChannel);
        _cpu.Start();
        var channel = Channel.CreateBounded<Order>(new BoundedChannelOptions(2 * BatchSize)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
        var producer = Task.Run(() => ProduceAsync(channel.Writer));
        var consumer = Task.Run(() => ConsumeAsync(channel.Reader));
        await Task.WhenAll(producer, consumer).ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public ValueTask RecordJob()
    {
        _method = nameof(RecordJob);
        _cpu.Start();
        var done = _host.WhenCompleted(++_runs);
        _host.Engine.Trigger(JobName);
        return done;
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (_cpu.HasData)
        {
            Metrics.Write(this, _method, "cpu-per-op", _cpu.NanosecondsPerOperation);
        }

        // Every run delivered every record: the measurement is of complete runs.
        if (_target.DeliveredCount != _runs * Records || Interlocked.Read(ref _bareDelivered) % Records != 0)
        {
            throw new InvalidOperationException($"Delivered {_target.DeliveredCount} records in {_runs} runs (bare: {_bareDelivered}); expected {Records} a run.");
        }

        await _host.DisposeAsync().ConfigureAwait(false);
    }

    private async Task ProduceAsync(ChannelWriter<Order> writer)
    {
        foreach (var order in _orders)
        {
            while (!writer.TryWrite(order))
            {
                if (!await writer.WaitToWriteAsync().ConfigureAwait(false))
                {
                    return;
                }
            }
        }

        writer.Complete();
    }

    private async Task ConsumeAsync(ChannelReader<Order> reader)
    {
        var batch = new Order[BatchSize];
        var count = 0;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var order))
            {
                batch[count++] = order;
                if (count == batch.Length)
                {
                    Deliver(batch, count);
                    count = 0;
                }
            }
        }

        if (count > 0)
        {
            Deliver(batch, count);
        }
    }

    private void Deliver(Order[] batch, int count)
    {
        Interlocked.Add(ref _bareDelivered, count);
        Array.Clear(batch, 0, count);
    }
}
