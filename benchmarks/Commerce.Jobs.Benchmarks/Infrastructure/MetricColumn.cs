using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>How a <see cref="MetricColumn"/> prints its figure.</summary>
internal enum MetricFormat
{
    /// <summary>Nanoseconds, printed as ns / μs / ms.</summary>
    Time,

    /// <summary>Bytes, printed as B / KB / MB.</summary>
    Size,

    /// <summary>A plain number.</summary>
    Number,
}

/// <summary>A column showing a figure the benchmark's own process wrote with <see cref="Metrics.Write"/>.</summary>
internal sealed class MetricColumn(string columnName, string metric, MetricFormat format, string legend) : IColumn
{
    public static readonly MetricColumn CpuPerOperation = new("CPU/op", "cpu-per-op", MetricFormat.Time, "Process CPU time (user + kernel, all threads) per operation, over the measured invocations");

    public static readonly MetricColumn InProcessP50 = new("In-proc P50", "inproc-p50", MetricFormat.Time, "Median of the latency measured inside the process (trigger call → body/target entered), free of the harness's wake-up");

    public static readonly MetricColumn InProcessP95 = new("In-proc P95", "inproc-p95", MetricFormat.Time, "95th percentile of the in-process latency");

    public static readonly MetricColumn InProcessP99 = new("In-proc P99", "inproc-p99", MetricFormat.Time, "99th percentile of the in-process latency");

    public static readonly MetricColumn AllocatedPerOperation = new("Alloc/op", "alloc-per-op", MetricFormat.Size, "Bytes allocated on every thread per operation, the whole triggered run included (GC.GetTotalAllocatedBytes between idle points)");

    public static readonly MetricColumn HeapPerJob = new("Heap/job", "heap-per-job", MetricFormat.Size, "Managed heap growth per registered idle job (GC.GetTotalMemory(true) after build + start, minus before, / jobs)");

    public static readonly MetricColumn EngineHeapPerJob = new("Engine/job", "engine-heap-per-job", MetricFormat.Size, "The engine's share of Heap/job: growth from resolving and starting the engine (each job's options, schedule, executor, entry, index and timeline slot)");

    public static readonly MetricColumn Timers = new("Timers", "timers", MetricFormat.Number, "Timers the engine created on its clock after start (DESIGN: no timer per job)");

    public static readonly MetricColumn StartUp = new("Start-up", "startup", MetricFormat.Time, "Build the provider, resolve and start the engine with all jobs (once, in global setup)");

    public static readonly MetricColumn ResponseBytes = new("Body", "body-bytes", MetricFormat.Size, "Size of the response body the client read (measured once, in global setup)");

    public static readonly MetricColumn HostStartUp = new("Host start-up", "host-startup", MetricFormat.Time, "Build and start the web host (Kestrel, engine with all jobs), once, in global setup");

    public string Id => $"{nameof(MetricColumn)}.{metric}";

    public string ColumnName => columnName;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var descriptor = benchmarkCase.Descriptor;
        var parameters = benchmarkCase.Parameters.Items.Select(p => (p.Name, (object?)p.Value));
        if (!Metrics.TryRead(descriptor.Type.Name, descriptor.WorkloadMethod.Name, parameters, metric, out var value))
        {
            return "-";
        }

        return format switch
        {
            MetricFormat.Time => FormatTime(value),
            MetricFormat.Size => FormatSize(value),
            _ => value.ToString("N0", CultureInfo.InvariantCulture),
        };
    }

    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(c => GetValue(summary, c) != "-");

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;

    internal static string FormatTime(double nanoseconds) => nanoseconds switch
    {
        < 1_000 => $"{nanoseconds.ToString("N1", CultureInfo.InvariantCulture)} ns",
        < 1_000_000 => $"{(nanoseconds / 1_000).ToString("N2", CultureInfo.InvariantCulture)} μs",
        < 1_000_000_000 => $"{(nanoseconds / 1_000_000).ToString("N2", CultureInfo.InvariantCulture)} ms",
        _ => $"{(nanoseconds / 1_000_000_000).ToString("N2", CultureInfo.InvariantCulture)} s",
    };

    internal static string FormatSize(double bytes) => bytes switch
    {
        < 1024 => $"{bytes.ToString("N0", CultureInfo.InvariantCulture)} B",
        < 1024 * 1024 => $"{(bytes / 1024).ToString("N2", CultureInfo.InvariantCulture)} KB",
        _ => $"{(bytes / 1024 / 1024).ToString("N2", CultureInfo.InvariantCulture)} MB",
    };
}
