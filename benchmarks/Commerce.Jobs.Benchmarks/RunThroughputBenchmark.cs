using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Commerce.Jobs.Benchmarks.Infrastructure;

namespace Commerce.Jobs.Benchmarks;

/// <summary>
/// Distinct job runs: 10,000 registered jobs, each triggered once by name, until all 10,000 have run (counted with the
/// engine's observer, <c>EngineObserver.RunCompleted</c>), with history recording on (the default in-memory store). One operation is one run:
/// the Op/s column is runs/s, Allocated is bytes per run (all threads), CPU/op is process CPU time per run.
/// DESIGN §4: ≥ 200,000 runs/s, &lt; 5 µs CPU and &lt; 500 B allocated per run.
/// The history is filled to its steady state first (every job has run <see cref="PrefillRounds"/> times, more than the
/// default 50 runs kept per job, so trimming is under way), as in a host that has been up for a while: the retained
/// runs are what makes garbage collection expensive.
/// The baseline hands the same 10,000 items to 16 reader tasks through a bare bounded <see cref="Channel{T}"/> (the
/// engine's default worker count) that call the same body and count: the floor of dispatching work on this machine.
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
[BenchmarkCategory(BenchSettings.EngineCategory)]
public class RunThroughputBenchmark
{
    public const int Jobs = 10_000;
    public const int PrefillRounds = 60;
    private const int Workers = 16;

    private static readonly Func<JobContext, CancellationToken, ValueTask<JobResult>> Body = static (_, _) => ValueTask.FromResult(JobResult.Success);

    private readonly CpuMeter _cpu = new();
    private readonly ReusableSignal _bareDone = new();
    private string[] _names = [];
    private EngineHost _host = null!;
    private long _runs;
    private Channel<int> _bare = null!;
    private Task[] _bareWorkers = [];
    private int _bareCompleted;
    private string _method = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        _names = [.. Enumerable.Range(0, Jobs).Select(i => $"job-{i:D5}")];
        _host = EngineHost.Create(jobs =>
        {
            foreach (var name in _names)
            {
                jobs.AddJob(name, Body);
            }
        });

        _bare = Channel.CreateBounded<int>(new BoundedChannelOptions(Jobs) { SingleReader = false, SingleWriter = false });
        _bareWorkers = [.. Enumerable.Range(0, Workers).Select(_ => Task.Run(BareWorkerAsync))];

        for (var round = 0; round < PrefillRounds; round++)
        {
            TriggerAll().AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>Not measured. (CPU time is read at the start of the invocation, after BenchmarkDotNet's forced GC, and here.)</summary>
    [IterationCleanup]
    public void StopCpu() => _cpu.Stop(Jobs);

    [Benchmark(Baseline = true, OperationsPerInvoke = Jobs)]
    public ValueTask BareChannelWorkers()
    {
        _method = nameof(BareChannelWorkers);
        _cpu.Start();
        Volatile.Write(ref _bareCompleted, 0);
        var done = _bareDone.Arm();
        var writer = _bare.Writer;
        for (var i = 0; i < Jobs; i++)
        {
            writer.TryWrite(i);
        }

        return done;
    }

    [Benchmark(OperationsPerInvoke = Jobs)]
    public ValueTask TriggerAll()
    {
        _method = nameof(TriggerAll);
        _cpu.Start();
        _runs += Jobs;
        var done = _host.WhenCompleted(_runs);
        var engine = _host.Engine;
        foreach (var name in _names)
        {
            engine.Trigger(name);
        }

        return done;
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (_cpu.HasData)
        {
            Metrics.Write(this, _method, "cpu-per-op", _cpu.NanosecondsPerOperation);
        }

        if (_method == nameof(TriggerAll))
        {
            var runs = await _host.Engine.GetRunsAsync(_names[0], 10, CancellationToken.None).ConfigureAwait(false);
            if (runs.Count == 0)
            {
                throw new InvalidOperationException("History recording is off: no run was recorded.");
            }
        }

        _bare.Writer.TryComplete();
        await Task.WhenAll(_bareWorkers).ConfigureAwait(false);
        await _host.DisposeAsync().ConfigureAwait(false);
    }

    private async Task BareWorkerAsync()
    {
        var reader = _bare.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out _))
            {
                await Body(null!, CancellationToken.None).ConfigureAwait(false);
                if (Interlocked.Increment(ref _bareCompleted) == Jobs)
                {
                    _bareDone.Set();
                }
            }
        }
    }
}
