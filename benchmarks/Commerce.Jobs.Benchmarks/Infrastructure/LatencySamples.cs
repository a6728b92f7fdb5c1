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

    /// <summary>Gets or sets a value indicating whether <see cref="Stop"/> records (off for a benchmark's own warm-up triggers).</summary>
    public bool Recording { get; set; } = true;

    /// <summary>Records the time since <see cref="Start"/> (call where the operation's effect is first seen).</summary>
    public void Stop()
    {
        if (!Recording)
        {
            return;
        }

        var elapsed = Stopwatch.GetTimestamp() - Volatile.Read(ref _startedAt);
        var index = Interlocked.Increment(ref _count) - 1;
        _ticks[index % _ticks.Length] = elapsed;
    }

    public void Reset() => Volatile.Write(ref _count, 0);

    /// <summary>
    /// Prints the samples kept (the same ones <see cref="WriteMetrics"/> reads) as a histogram in power-of-two
    /// microsecond buckets, so that a tail's shape (one slow path, or a spread) shows in the benchmark's log.
    /// </summary>
    public void WriteHistogram(TextWriter output, string title)
    {
        var count = (int)Math.Min(_count, _ticks.Length);
        if (count == 0)
        {
            return;
        }

        var skip = _count <= _ticks.Length ? count / 5 : 0;
        var buckets = new int[32];
        foreach (var ticks in _ticks.AsSpan(skip, count - skip))
        {
            var microseconds = (long)(ticks * 1e6 / Stopwatch.Frequency);
            buckets[Math.Min(31, microseconds <= 0 ? 0 : 64 - System.Numerics.BitOperations.LeadingZeroCount((ulong)microseconds))]++;
        }

        output.WriteLine($"// {title}: {count - skip} samples, µs bucket → count");
        for (var i = 0; i < buckets.Length; i++)
        {
            if (buckets[i] > 0)
            {
                var (low, high) = (i == 0 ? 0 : 1L << (i - 1), (1L << i) - 1);
                output.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"//   {low,6}–{high,-6} µs {buckets[i],6}  {new string('#', (int)Math.Ceiling(buckets[i] * 60.0 / (count - skip)))}"));
            }
        }
    }

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
