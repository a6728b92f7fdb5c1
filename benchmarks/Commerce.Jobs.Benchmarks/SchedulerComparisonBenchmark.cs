using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Commerce.Jobs.Benchmarks.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Quartz;

namespace Commerce.Jobs.Benchmarks;

/// <summary>
/// The in-memory run path side by side with a bare <see cref="Channel{T}"/> (the floor) and Quartz.NET's in-memory
/// scheduler, each driven as its users drive it: a host's container built with the library's DI extension
/// (<c>AddCommerceJobs</c>, <c>AddQuartz</c>), its hosted services started, a job type resolved from DI, and only public calls.
/// <list type="bullet">
/// <item>Latency (<c>*Latency</c>, one operation = one trigger): an automatic job (<c>MaxConcurrency</c> 1, cleanup runs
/// off) signalled with <see cref="IJobTrigger.Signal"/>, 200 sequential samples after 10 warm-up triggers per
/// invocation, each from just before the call to the first line of the job's body, the next trigger only once the
/// body has started. Quartz: <c>TriggerJob</c> on a job that disallows concurrent execution. The in-process
/// percentiles (In-proc P50/P99 columns) are the figures; the histogram of the samples is printed in the log.</item>
/// <item>Throughput (<c>*Throughput</c>, one operation = one run): 20,000 runs of one manual job type
/// (<c>MaxConcurrency</c> 16) from one thread, at most 116 outstanding; history on, the default in-memory store.
/// <see cref="CommerceJobsThroughput"/> uses the back-pressured <see cref="IJobRunner.EnqueueAsync"/> (which waits for
/// room once 100 runs wait), <see cref="CommerceJobsEnqueueThroughput"/> <see cref="IJobRunner.Enqueue"/> waiting on the
/// oldest handle when 116 are outstanding; Quartz <c>TriggerJob</c> behind a semaphore of 116 released by the body.
/// The clock runs from the first call to the 20,000th body. CPU/op is process CPU time over the invocation / runs,
/// Alloc/op the bytes allocated on every thread / runs.</item>
/// </list>
/// </summary>
[Config(typeof(ComparisonConfig))]
[MemoryDiagnoser]
[BenchmarkCategory(BenchSettings.EngineCategory)]
public class SchedulerComparisonBenchmark
{
    public const int Samples = 200;
    public const int WarmUpTriggers = 10;
    public const int Runs = 20_000;
    public const int Outstanding = 116;
    private const int Workers = 16;
    private const string LatencyJob = "ping";
    private const string ThroughputJob = "bulk";

    private static readonly JobKey QuartzLatencyKey = new(LatencyJob);
    private static readonly JobKey QuartzThroughputKey = new(ThroughputJob);

    private readonly Probe _probe = new();
    private readonly CpuMeter _cpu = new();
    private readonly Task<JobResult>[] _handles = new Task<JobResult>[Outstanding];
    private ServiceProvider? _services;
    private IHostedService[] _hosted = [];
    private IJobTrigger _trigger = null!;
    private IJobRunner _runner = null!;
    private IScheduler? _quartz;
    private Channel<int> _bare = null!;
    private Task[] _bareReaders = [];
    private long _allocatedBefore;
    private double _allocated;
    private long _operations;
    private int _iterations;
    private string _method = string.Empty;

    [GlobalSetup(Targets = [nameof(ChannelLatency)])]
    public void SetUpChannelLatency()
    {
        _bare = Channel.CreateUnbounded<int>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        _bareReaders = [Task.Run(() => ReadBareAsync(_bare.Reader))];
    }

    [GlobalSetup(Targets = [nameof(ChannelThroughput)])]
    public void SetUpChannelThroughput()
    {
        _bare = Channel.CreateBounded<int>(new BoundedChannelOptions(Outstanding - Workers) { SingleReader = false, SingleWriter = true });
        _bareReaders = [.. Enumerable.Range(0, Workers).Select(_ => Task.Run(() => ReadBareAsync(_bare.Reader)))];
    }

    [GlobalSetup(Targets = [nameof(CommerceJobsLatency), nameof(CommerceJobsThroughput), nameof(CommerceJobsEnqueueThroughput)])]
    public void SetUpCommerceJobs()
    {
        var services = Services();
        services.AddCommerceJobs(jobs =>
        {
            jobs.AddJob<PingJob>(LatencyJob).Schedule(Schedule.Automatic(cleanupRunsPerDay: 0)).MaxConcurrency(1);
            jobs.AddJob<PingJob>(ThroughputJob).Schedule(Schedule.Manual()).MaxConcurrency(Workers);
        });
        StartHost(services);
        _trigger = _services!.GetRequiredService<IJobTrigger>();
        _runner = _services!.GetRequiredService<IJobRunner>();
    }

    [GlobalSetup(Targets = [nameof(QuartzLatency), nameof(QuartzThroughput)])]
    public void SetUpQuartz()
    {
        var services = Services();
        services.AddTransient<QuartzPingJob>();
        services.AddQuartz(q =>
        {
            q.UseInMemoryStore();
            q.UseDefaultThreadPool(Workers);
            q.AddJob<QuartzPingJob>(j => j.WithIdentity(QuartzLatencyKey).StoreDurably().DisallowConcurrentExecution());
            q.AddJob<QuartzPingJob>(j => j.WithIdentity(QuartzThroughputKey).StoreDurably());
        });
        StartHost(services);

        // What Quartz's hosted service does (it needs a generic host's lifetime, which a bare container lacks): start the scheduler.
        _quartz = _services!.GetRequiredService<ISchedulerFactory>().GetScheduler().AsTask().GetAwaiter().GetResult();
        _quartz.Start(CancellationToken.None).AsTask().GetAwaiter().GetResult();
    }

    /// <summary>Not measured: ends the CPU bracket and the allocation count of the invocation; the samples count from the first measured iteration.</summary>
    [IterationCleanup]
    public void EndIteration()
    {
        // The last runs of an invocation may still be finishing (their bodies started): the next one starts with none outstanding.
        foreach (var handle in _handles)
        {
            handle?.GetAwaiter().GetResult();
        }

        Array.Clear(_handles);
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - _allocatedBefore;
        var operations = _method.EndsWith("Latency", StringComparison.Ordinal) ? Samples : Runs;
        _cpu.Stop(operations);
        if (++_iterations > 1 + ThroughputConfig.WarmupCount)
        {
            _allocated += allocated;
            _operations += operations;
        }
        else if (_iterations == 1 + ThroughputConfig.WarmupCount)
        {
            _probe.Samples.Reset();
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Samples)]
    public void ChannelLatency()
    {
        Begin(nameof(ChannelLatency));
        Latency(static self => self._bare.Writer.TryWrite(1));
    }

    [Benchmark(OperationsPerInvoke = Samples)]
    public void CommerceJobsLatency()
    {
        Begin(nameof(CommerceJobsLatency));
        Latency(static self => self._trigger.Signal(LatencyJob));
    }

    [Benchmark(OperationsPerInvoke = Samples)]
    public void QuartzLatency()
    {
        Begin(nameof(QuartzLatency));
        Latency(static self => self._quartz!.TriggerJob(QuartzLatencyKey).AsTask().GetAwaiter().GetResult());
    }

    [Benchmark(OperationsPerInvoke = Runs)]
    public async Task ChannelThroughput()
    {
        Begin(nameof(ChannelThroughput));
        var done = _probe.Expect(Runs);
        var writer = _bare.Writer;
        for (var i = 0; i < Runs; i++)
        {
            if (!writer.TryWrite(i))
            {
                await writer.WriteAsync(i).ConfigureAwait(false);
            }
        }

        await done.ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Runs)]
    public async Task CommerceJobsThroughput()
    {
        Begin(nameof(CommerceJobsThroughput));
        var done = _probe.Expect(Runs);
        for (var i = 0; i < Runs; i++)
        {
            await _runner.EnqueueAsync(ThroughputJob, null, CancellationToken.None).ConfigureAwait(false);
        }

        await done.ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Runs)]
    public async Task CommerceJobsEnqueueThroughput()
    {
        Begin(nameof(CommerceJobsEnqueueThroughput));
        var done = _probe.Expect(Runs);
        for (var i = 0; i < Runs; i++)
        {
            var oldest = _handles[i % Outstanding];
            if (oldest is not null)
            {
                await oldest.ConfigureAwait(false);
            }

            _handles[i % Outstanding] = _runner.Enqueue(ThroughputJob, null).Completion;
        }

        await done.ConfigureAwait(false);
    }

    [Benchmark(OperationsPerInvoke = Runs)]
    public async Task QuartzThroughput()
    {
        Begin(nameof(QuartzThroughput));
        var done = _probe.Expect(Runs);
        for (var i = 0; i < Runs; i++)
        {
            await _probe.Room.WaitAsync().ConfigureAwait(false);
            await _quartz!.TriggerJob(QuartzThroughputKey).ConfigureAwait(false);
        }

        await done.ConfigureAwait(false);
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (_cpu.HasData)
        {
            Metrics.Write(this, _method, "cpu-per-op", _cpu.NanosecondsPerOperation);
        }

        if (_operations > 0)
        {
            Metrics.Write(this, _method, "alloc-per-op", _allocated / _operations);
        }

        _probe.Samples.WriteHistogram(Console.Out, _method);
        _probe.Samples.WriteMetrics(this, _method);
        _bare?.Writer.TryComplete();
        await Task.WhenAll(_bareReaders).ConfigureAwait(false);
        if (_quartz is not null)
        {
            await _quartz.Shutdown(true, CancellationToken.None).ConfigureAwait(false);
        }

        foreach (var hosted in _hosted.Reverse())
        {
            await hosted.StopAsync(CancellationToken.None).ConfigureAwait(false);
        }

        if (_services is not null)
        {
            await _services.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static ServiceCollection Services()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        return services;
    }

    private void StartHost(ServiceCollection services)
    {
        services.AddSingleton(_probe);
        _services = services.BuildServiceProvider();
        _hosted = [.. _services.GetServices<IHostedService>()];
        foreach (var hosted in _hosted)
        {
            hosted.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
    }

    private void Begin(string method)
    {
        _method = method;
        _probe.Samples.Recording = false;
        _cpu.Start();
        _allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
    }

    /// <summary>10 warm-up triggers (not recorded), then 200 recorded; each waits until the body has started.</summary>
    private void Latency(Action<SchedulerComparisonBenchmark> trigger)
    {
        var samples = _probe.Samples;
        for (var i = 0; i < WarmUpTriggers + Samples; i++)
        {
            samples.Recording = i >= WarmUpTriggers;
            _probe.Started.Reset();
            samples.Start();
            trigger(this);
            _probe.Started.Wait();
        }
    }

    private async Task ReadBareAsync(ChannelReader<int> reader)
    {
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out _))
            {
                _probe.BodyStarted();
            }
        }
    }

    /// <summary>What every job body calls on its first line: the latency sample, the started signal, the run count, the room.</summary>
    internal sealed class Probe
    {
        private readonly ReusableSignal _done = new();
        private long _target = long.MaxValue;
        private long _count;

        public LatencySamples Samples { get; } = new(1 << 16);

        public ManualResetEventSlim Started { get; } = new(false, spinCount: 0);

        public SemaphoreSlim Room { get; } = new(Outstanding);

        /// <summary>Completes once <paramref name="runs"/> more bodies have started.</summary>
        public ValueTask Expect(long runs)
        {
            var wait = _done.Arm();
            Volatile.Write(ref _target, Volatile.Read(ref _count) + runs);
            return wait;
        }

        public void BodyStarted()
        {
            Samples.Stop();
            Started.Set();
            if (Interlocked.Increment(ref _count) == Volatile.Read(ref _target))
            {
                _done.Set();
            }
        }
    }

    /// <summary>The Commerce.Jobs job type, resolved from DI for every run (registered transient by <c>AddJob</c>).</summary>
    internal sealed class PingJob(Probe probe) : IIntegrationJob
    {
        public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
        {
            probe.BodyStarted();
            return ValueTask.FromResult(JobResult.Success);
        }
    }

    /// <summary>The Quartz.NET job type, resolved from DI for every firing (registered transient).</summary>
    internal sealed class QuartzPingJob(Probe probe) : IJob
    {
        public ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
        {
            probe.BodyStarted();
            probe.Room.Release();
            return ValueTask.CompletedTask;
        }
    }
}
