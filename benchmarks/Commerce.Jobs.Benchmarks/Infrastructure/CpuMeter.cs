namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// Process CPU time (user + kernel, every thread: the engine's workers included) per operation, summed over the
/// invocations it brackets. Start it inside the benchmark method (BenchmarkDotNet forces a full GC between
/// IterationSetup and the invocation) and stop it in IterationCleanup. Reads <see cref="Environment.CpuUsage"/> (getrusage on Linux, microsecond resolution).
/// </summary>
internal sealed class CpuMeter
{
    private TimeSpan _start;
    private TimeSpan _total;
    private long _operations;
    private int _skipped;

    public void Start() => _start = Environment.CpuUsage.TotalTime;

    /// <summary>
    /// Ends a bracket. The first ones are dropped: BenchmarkDotNet's jitting invocation and the warm-up iterations of
    /// <see cref="ThroughputConfig"/>, whose CPU time is partly the JIT's. What is left: the measured iterations and the
    /// one BenchmarkDotNet adds for the memory diagnoser; the mean over them, garbage collections included.
    /// </summary>
    public void Stop(long operations)
    {
        if (_skipped < 1 + ThroughputConfig.WarmupCount)
        {
            _skipped++;
            return;
        }

        _total += Environment.CpuUsage.TotalTime - _start;
        _operations += operations;
    }

    public bool HasData => _operations > 0;

    public double NanosecondsPerOperation => _operations == 0 ? 0 : _total.Ticks * 100.0 / _operations;
}
