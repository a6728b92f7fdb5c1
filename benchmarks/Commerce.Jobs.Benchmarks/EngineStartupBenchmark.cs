using BenchmarkDotNet.Attributes;
using Commerce.Jobs.Benchmarks.Infrastructure;

namespace Commerce.Jobs.Benchmarks;

/// <summary>
/// Start-up with many scheduled jobs: build the service provider, resolve and start the engine, stop it. One
/// operation is one job (time and bytes per registered job). <see cref="FluentSchedule"/> registers each job the
/// documented way, <c>AddJob(name, body).Schedule(...)</c>, which adds one named-options setup per job;
/// <see cref="BulkOptions"/> (baseline) gives the same schedules through one setup. A per-job cost that grows with
/// the job count means quadratic start-up. Global setup also measures, once, the managed heap per registered job for
/// the case's way of registering (GC.GetTotalMemory(true) with the engine built and started, minus before, / jobs).
/// </summary>
[Config(typeof(StartupConfig))]
[MemoryDiagnoser]
[BenchmarkCategory(BenchSettings.EngineCategory)]
public class EngineStartupBenchmark
{
    [Params(1_000, 10_000)]
    public int Jobs { get; set; }

    [GlobalSetup(Target = nameof(BulkOptions))]
    public Task MeasureBulkHeap() => MeasureHeapAsync(nameof(BulkOptions), jobs => ScheduledJobs.AddBulk(jobs, Jobs));

    [GlobalSetup(Target = nameof(FluentSchedule))]
    public Task MeasureFluentHeap() => MeasureHeapAsync(nameof(FluentSchedule), jobs => ScheduledJobs.AddFluent(jobs, Jobs));

    [Benchmark(Baseline = true)]
    public Task BulkOptions() => StartAndStopAsync(jobs => ScheduledJobs.AddBulk(jobs, Jobs));

    [Benchmark]
    public Task FluentSchedule() => StartAndStopAsync(jobs => ScheduledJobs.AddFluent(jobs, Jobs));

    private async Task MeasureHeapAsync(string method, Action<CommerceJobsBuilder> configure)
    {
        var before = Heap.LiveBytes();
        var host = EngineHost.Create(configure);
        var after = Heap.LiveBytes();
        Metrics.Write(this, method, "heap-per-job", (after - before) / (double)Jobs);
        await host.DisposeAsync().ConfigureAwait(false);
    }


    private static async Task StartAndStopAsync(Action<CommerceJobsBuilder> configure)
    {
        var host = EngineHost.Create(configure);
        await host.DisposeAsync().ConfigureAwait(false);
    }
}
