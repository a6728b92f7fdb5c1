using System.Collections.Immutable;
using System.Globalization;
using BenchmarkDotNet.Analysers;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.EventProcessors;
using BenchmarkDotNet.Exporters;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Loggers;
using BenchmarkDotNet.Order;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Validators;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// BenchmarkDotNet's default configuration with one change: the statistics columns come from
/// <see cref="StatisticsColumns"/>, which avoids the built-in Ratio column for latency runs of thousands of iterations
/// (that column builds the pairwise ratio distribution, n × n values, and takes minutes to render at n = 20,000).
/// (It adds no job: a job here would be applied to every class's own jobs.)
/// </summary>
internal sealed class SuiteConfig : IConfig
{
    private static readonly IConfig Default = DefaultConfig.Instance;

    public static SuiteConfig Instance { get; } = new();

    public IEnumerable<IColumnProvider> GetColumnProviders() =>
    [
        DefaultColumnProviders.Descriptor,
        DefaultColumnProviders.Job,
        new StatisticsColumns(),
        DefaultColumnProviders.Params,
        DefaultColumnProviders.Metrics,
    ];

    public IEnumerable<IExporter> GetExporters() => Default.GetExporters();

    public IEnumerable<ILogger> GetLoggers() => Default.GetLoggers();

    public IEnumerable<IDiagnoser> GetDiagnosers() => Default.GetDiagnosers();

    public IEnumerable<IAnalyser> GetAnalysers() => Default.GetAnalysers();

    public IEnumerable<Job> GetJobs() => Default.GetJobs();

    public IEnumerable<IValidator> GetValidators() => Default.GetValidators();

    public IEnumerable<HardwareCounter> GetHardwareCounters() => Default.GetHardwareCounters();

    public IEnumerable<IFilter> GetFilters() => Default.GetFilters();

    public IEnumerable<BenchmarkLogicalGroupRule> GetLogicalGroupRules() => Default.GetLogicalGroupRules();

    public IEnumerable<EventProcessor> GetEventProcessors() => Default.GetEventProcessors();

    public IEnumerable<IColumnHidingRule> GetColumnHidingRules() => Default.GetColumnHidingRules();

    public IOrderer? Orderer => Default.Orderer;

    public ICategoryDiscoverer? CategoryDiscoverer => Default.CategoryDiscoverer;

    public SummaryStyle SummaryStyle => Default.SummaryStyle;

    public ConfigUnionRule UnionRule => Default.UnionRule;

    public string ArtifactsPath => Default.ArtifactsPath;

    public CultureInfo? CultureInfo => Default.CultureInfo;

    public ConfigOptions Options => Default.Options;

    public TimeSpan BuildTimeout => Default.BuildTimeout;

    public WakeLockType WakeLock => Default.WakeLock;

    public IReadOnlyList<Conclusion> ConfigAnalysisConclusion => Default.ConfigAnalysisConclusion;

    /// <summary>Mean, Error, StdDev, Median, and ratios to the baseline that stay cheap for many iterations.</summary>
    private sealed class StatisticsColumns : IColumnProvider
    {
        private const int PairwiseRatioLimit = 200;

        public IEnumerable<IColumn> GetColumns(Summary summary)
        {
            yield return StatisticColumn.Mean;
            yield return StatisticColumn.Error;
            yield return StatisticColumn.StdDev;
            yield return StatisticColumn.Median;
            if (summary.Reports.IsDefaultOrEmpty || !summary.HasBaselines())
            {
                yield break;
            }

            var largest = summary.Reports.Max(r => r.ResultStatistics?.N ?? 0);
            if (largest <= PairwiseRatioLimit)
            {
                yield return BaselineRatioColumn.RatioMean;
                yield return BaselineRatioColumn.RatioStdDev;
            }
            else
            {
                yield return MedianRatioColumn.Instance;
            }

            if (summary.BenchmarksCases.Any(c => c.Config.HasMemoryDiagnoser()))
            {
                yield return BaselineAllocationRatioColumn.RatioMean;
            }
        }
    }
}

/// <summary>The ratio of a case's median to its baseline's median (cheap for any number of iterations).</summary>
internal sealed class MedianRatioColumn : IColumn
{
    public static readonly MedianRatioColumn Instance = new();

    public string Id => nameof(MedianRatioColumn);

    public string ColumnName => "Ratio";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Baseline;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Median of this case / median of the baseline ([Current]/[Baseline])";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var baseline = summary.GetBaseline(summary.GetLogicalGroupKey(benchmarkCase));
        var current = summary[benchmarkCase]?.ResultStatistics;
        var reference = baseline is null ? null : summary[baseline]?.ResultStatistics;
        return current is null || reference is null || reference.Median == 0
            ? "?"
            : (current.Median / reference.Median).ToString("N2", CultureInfo.InvariantCulture);
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    public override string ToString() => ColumnName;
}
