using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Commerce.Jobs.Runners;

namespace Commerce.Jobs.Diagnostics;

/// <summary>
/// The engine's <see cref="ActivitySource"/> and <see cref="Meter"/>, both named <c>Commerce.Jobs</c>, so OpenTelemetry
/// picks them up. Every instrument is listed in the engine's README ("Telemetry"); keep the two in step.
/// </summary>
internal static class JobsTelemetry
{
    public const string Name = "Commerce.Jobs";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name);

    /// <summary><c>commerce_jobs.runs.started</c>: runs started, tagged <c>job</c> and <c>trigger</c>.</summary>
    public static readonly Counter<long> RunsStarted = Meter.CreateCounter<long>("commerce_jobs.runs.started", "{run}", "Runs started.");

    /// <summary><c>commerce_jobs.runs.completed</c>: runs ended, tagged <c>job</c> and <c>outcome</c>.</summary>
    public static readonly Counter<long> RunsCompleted = Meter.CreateCounter<long>("commerce_jobs.runs.completed", "{run}", "Runs ended, by outcome.");

    /// <summary><c>commerce_jobs.run.duration</c>: run duration in seconds, tagged <c>job</c>.</summary>
    public static readonly Histogram<double> RunDuration = Meter.CreateHistogram<double>("commerce_jobs.run.duration", "s", "How long runs take.");

    /// <summary><c>commerce_jobs.records.delivered</c>: records delivered, tagged <c>job</c>.</summary>
    public static readonly Counter<long> RecordsDelivered = Meter.CreateCounter<long>("commerce_jobs.records.delivered", "{record}", "Records delivered.");

    /// <summary><c>commerce_jobs.records.skipped</c>: records skipped after their retries, tagged <c>job</c>.</summary>
    public static readonly Counter<long> RecordsSkipped = Meter.CreateCounter<long>("commerce_jobs.records.skipped", "{record}", "Records skipped after their retries.");

    /// <summary><c>commerce_jobs.records.failed</c>: records rejected permanently, tagged <c>job</c>.</summary>
    public static readonly Counter<long> RecordsFailed = Meter.CreateCounter<long>("commerce_jobs.records.failed", "{record}", "Records rejected permanently by their target.");

    /// <summary><c>commerce_jobs.delivery.retries</c>: batch delivery retries, tagged <c>job</c>.</summary>
    public static readonly Counter<long> DeliveryRetries = Meter.CreateCounter<long>("commerce_jobs.delivery.retries", "{retry}", "Batch delivery retries.");

    /// <summary><c>commerce_jobs.delivery.duration</c>: one delivery call to a target in seconds, tagged <c>target</c>.</summary>
    public static readonly Histogram<double> DeliveryDuration = Meter.CreateHistogram<double>("commerce_jobs.delivery.duration", "s", "How long one delivery call to a target takes (a batch, including the wait for a concurrency slot).");

    private static readonly ConcurrentDictionary<JobEngine, string> Engines = new();

    /// <summary><c>commerce_jobs.queue.depth</c>: runs waiting for a free worker, tagged <c>host</c> (engines of one host name summed).</summary>
    public static readonly ObservableGauge<int> QueueDepth = Meter.CreateObservableGauge(
        "commerce_jobs.queue.depth",
        static () => Engines
            .GroupBy(static e => e.Value, StringComparer.Ordinal)
            .Select(static host => new Measurement<int>(host.Sum(static e => e.Key.QueueDepth), new KeyValuePair<string, object?>("host", host.Key))),
        "{run}",
        "Runs waiting for a free worker.");

    /// <summary>Lists a started engine for the queue-depth gauge.</summary>
    public static void AddEngine(JobEngine engine, string hostName) => Engines[engine] = hostName;

    /// <summary>Removes a stopped engine from the queue-depth gauge.</summary>
    public static void RemoveEngine(JobEngine engine) => Engines.TryRemove(engine, out _);
}
