using System.Diagnostics;

namespace Commerce.Jobs.Benchmarks.Infrastructure;

/// <summary>
/// Latencies measured inside the process (Stopwatch ticks from the trigger call to the moment the job body or the
/// target is entered), kept in a preallocated ring so recording does not allocate. The percentiles skip the first
/// fifth of the samples (the warm-up iterations).
/// </summary>
internal sealed class LatencySamples(int capacity)
{
    private readonly long[] _ticks = new long[capacity];
    private long _count;
    private long _startedAt;

    /// <summary>Marks the start of one measured operation (call just before the trigger).</summary>
    public void Start() => Volatile.Write(ref _startedAt, Stopwatch.GetTimestamp());

    /// <summary>Records the time since <see cref="Start"/> (call where the operation's effect is first seen).</summary>
    public void Stop()
    {
        var elapsed = Stopwatch.GetTimestamp() - Volatile.Read(ref _startedAt);
        var index = Interlocked.Increment(ref _count) - 1;
        _ticks[index % _ticks.Length] = elapsed;
    }

    public void Reset() => Volatile.Write(ref _count, 0);

    public void WriteMetrics(object benchmark, string method)
    {
        var count = (int)Math.Min(_count, _ticks.Length);
        if (count < 10)
        {
            return;
        }

        var skip = _count <= _ticks.Length ? count / 5 : 0;
        var sorted = _ticks.AsSpan(skip, count - skip).ToArray().Select(t => t * 1e9 / Stopwatch.Frequency).Order().ToArray();
        Metrics.Write(benchmark, method, "inproc-p50", PercentileColumn.Percentile(sorted, 50));
        Metrics.Write(benchmark, method, "inproc-p95", PercentileColumn.Percentile(sorted, 95));
        Metrics.Write(benchmark, method, "inproc-p99", PercentileColumn.Percentile(sorted, 99));
        _count = 0;
    }
}
