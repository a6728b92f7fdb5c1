using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using Perfolizer.Horology;
using BenchmarkDotNet.Jobs;
using Perfolizer.Mathematics.OutlierDetection;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>Quick mode (<c>--quick</c>): Program sets <see cref="QuickVariable"/>, the configs below read it and use fewer iterations.</summary>
internal static class BenchSettings
{
    public const string QuickVariable = "COMMERCE_JOBS_BENCH_QUICK";

    /// <summary>The engine benchmarks' category: what <c>--quick</c> runs when no filter is given.</summary>
    public const string EngineCategory = "Engine";

    /// <summary>The dashboard's management API over HTTP (<c>DashboardApiBenchmark</c>); <c>--quick</c> runs it too.</summary>
    public const string DashboardCategory = "Dashboard";

    public static bool Quick => Environment.GetEnvironmentVariable(QuickVariable) == "1";
}

/// <summary>
/// Per-operation latency: one operation per iteration (InvocationCount = 1), many iterations, outliers kept, no
/// overhead subtraction and no forced GC between iterations, so the percentiles are those of single operations in a
/// steady state.
/// </summary>
public sealed class LatencyConfig : ManualConfig
{
    public LatencyConfig()
    {
        var quick = BenchSettings.Quick;
        AddJob(Job.Default
            .WithId(quick ? "QuickLatency" : "Latency")
            .WithLaunchCount(1)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithWarmupCount(quick ? 300 : 2_000)
            .WithIterationCount(quick ? 3_000 : 20_000)
            .WithOutlierMode(OutlierMode.DontRemove)
            .WithEvaluateOverhead(false)
            .WithGcForce(false));
        AddColumn(StatisticColumn.P50, StatisticColumn.P95, PercentileColumn.P99, StatisticColumn.Max);
        AddColumn(MetricColumn.InProcessP50, MetricColumn.InProcessP95, MetricColumn.InProcessP99, MetricColumn.AllocatedPerOperation);
    }
}

/// <summary>
/// Bulk throughput: one invocation per iteration (each moves 10,000 runs or 1,000,000 records), few iterations, and
/// no forced GC between iterations: garbage collection triggered by what an invocation allocates is part of its cost,
/// as in a host that runs all day (a forced full GC before every iteration would hide it).
/// </summary>
public sealed class ThroughputConfig : ManualConfig
{
    public ThroughputConfig()
    {
        var quick = BenchSettings.Quick;
        AddJob(Job.Default
            .WithId(quick ? "QuickThroughput" : "Throughput")
            .WithLaunchCount(1)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithWarmupCount(WarmupCount)
            .WithIterationCount(quick ? 7 : 15)
            .WithEvaluateOverhead(false)
            .WithGcForce(false));
        AddColumn(StatisticColumn.OperationsPerSecond, StatisticColumn.Median, MetricColumn.CpuPerOperation);
    }

    /// <summary>Gets the warm-up iterations, which <see cref="CpuMeter"/> leaves out of CPU/op.</summary>
    public static int WarmupCount => BenchSettings.Quick ? 3 : 5;
}

/// <summary>
/// Side by side with other schedulers (<c>SchedulerComparisonBenchmark</c>): the throughput settings (one invocation per
/// iteration: 200 sequential triggers, or 20,000 runs), with the in-process latency percentiles and the bytes allocated
/// per operation. Run in the benchmark process itself (no generated project to build: on a busy 2-core machine its
/// build exceeds BenchmarkDotNet's two-minute limit), with the runtime's default GC (workstation, concurrent).
/// </summary>
public sealed class ComparisonConfig : ManualConfig
{
    public ComparisonConfig()
    {
        var quick = BenchSettings.Quick;
        AddJob(Job.Default
            .WithId(quick ? "QuickComparison" : "Comparison")
            .WithToolchain(BenchmarkDotNet.Toolchains.InProcess.Emit.InProcessEmitToolchain.Instance)
            .WithLaunchCount(1)
            .WithInvocationCount(1)
            .WithUnrollFactor(1)
            .WithWarmupCount(ThroughputConfig.WarmupCount)
            .WithIterationCount(quick ? 7 : 15)
            .WithEvaluateOverhead(false)
            .WithGcForce(false));
        AddColumn(StatisticColumn.OperationsPerSecond, StatisticColumn.Median, MetricColumn.CpuPerOperation);
        AddColumn(MetricColumn.InProcessP50, MetricColumn.InProcessP99, MetricColumn.AllocatedPerOperation);
    }
}

/// <summary>Start-up: the throughput settings, plus the heap per registered job measured in global setup.</summary>
public sealed class StartupConfig : ManualConfig
{
    public StartupConfig()
    {
        Add(new ThroughputConfig());
        AddColumn(MetricColumn.HeapPerJob);
    }
}

/// <summary>Micro-scale costs (scheduler bookkeeping): the pilot chooses the invocation count; quick mode shortens the iterations.</summary>
public sealed class ScaleConfig : ManualConfig
{
    public ScaleConfig()
    {
        var quick = BenchSettings.Quick;
        var job = Job.Default
            .WithId(quick ? "QuickScale" : "Scale")
            .WithLaunchCount(1)
            .WithWarmupCount(quick ? 2 : 5)
            .WithIterationCount(quick ? 5 : 15);
        AddJob(quick ? job.WithIterationTime(TimeInterval.FromMilliseconds(100)) : job);
        AddColumn(StatisticColumn.Median, MetricColumn.HeapPerJob, MetricColumn.EngineHeapPerJob, MetricColumn.StartUp, MetricColumn.Timers);
    }
}

/// <summary>
/// HTTP requests to the dashboard's management API: a ShortRun-like job (one launch, few iterations of a fixed
/// duration, the pilot choosing how many requests fill one) with the median and P95 per request, the response body
/// size and the host's start-up. Only <c>ListJobs</c> runs at every job count; the other methods at the largest.
/// </summary>
public sealed class DashboardConfig : ManualConfig
{
    public DashboardConfig()
    {
        var quick = BenchSettings.Quick;
        AddJob(Job.Default
            .WithId(quick ? "QuickDashboard" : "Dashboard")
            .WithLaunchCount(1)
            .WithWarmupCount(quick ? 3 : 5)
            .WithIterationCount(quick ? 7 : 15)
            .WithIterationTime(TimeInterval.FromMilliseconds(quick ? 150 : 250)));
        AddColumn(StatisticColumn.Median, StatisticColumn.P95, MetricColumn.ResponseBytes, MetricColumn.HostStartUp);
        AddFilter(new SimpleFilter(c =>
            c.Descriptor.Type != typeof(DashboardApiBenchmark)
            || c.Descriptor.WorkloadMethod.Name == nameof(DashboardApiBenchmark.ListJobs)
            || c.Parameters.Items.Any(p => p.Name == nameof(DashboardApiBenchmark.Jobs) && p.Value is DashboardApiBenchmark.LargestJobCount)));
    }
}
