using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Commerce.Jobs.Benchmarks.Infrastructure;
using Commerce.Jobs.Runners;

namespace Commerce.Jobs.Benchmarks;

/// <summary>
/// The scheduler with 1,000 / 10,000 / 100,000 registered scheduled jobs (half interval, half fixed-time; see
/// <see cref="ScheduledJobs"/>). One operation is one fire. DESIGN §4: next-fire bookkeeping O(log n), under 1 KB per
/// idle job, no timer per job.
/// <list type="bullet">
/// <item><see cref="PriorityQueueOnly"/> (baseline): dequeue the earliest fire and enqueue the job a day later in a
/// <see cref="PriorityQueue{TElement,TPriority}"/> of n entries: the heap alone, O(log n).</item>
/// <item><see cref="NextFireBookkeeping"/>: the engine scheduler's per-fire work, as its loop does it: peek, dequeue, the
/// job's real schedule computes its next occurrence (<c>Schedule.GetNext</c>), enqueue.</item>
/// <item><see cref="EngineFires"/>: the engine itself on a fake clock: the clock is set to the instant of the 1,000th next
/// fire, the engine's one timer wakes its scheduler, which fires the 1,000 due jobs (claims each occurrence in the
/// default in-memory store, triggers the job) and re-arms the timer. The jobs are paused, so a trigger is held as the
/// job's one pending run: a fire costs the scheduler's bookkeeping, not a run.</item>
/// </list>
/// Global setup also measures, once, the managed heap per idle job (GC.GetTotalMemory(true) before and after building
/// and starting the engine with all n jobs, / n: "Heap/job"; the engine's share, resolve + start only: "Engine/job") and
/// the start-up time, and counts the timers the engine created on its clock ("Timers": one, whatever n). Jobs are registered with one bulk options setup (see EngineStartupBenchmark for the fluent path).
/// </summary>
[Config(typeof(ScaleConfig))]
[MemoryDiagnoser]
[BenchmarkCategory(BenchSettings.EngineCategory)]
public class SchedulerScaleBenchmark
{
    public const int FiresPerInvoke = 1_000;

    private ObservedTimeProvider _time = null!;
    private EngineHost _host = null!;
    private DateTimeOffset[] _fireTimes = [];
    private long _nextFire;
    private PriorityQueue<(JobEntry Entry, TriggerKind Trigger), long> _queue = new();
    private TimeZoneInfo _zone = TimeZoneInfo.Utc;

    [Params(1_000, 10_000, 100_000)]
    public int Jobs { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _time = new ObservedTimeProvider(new DateTimeOffset(2026, 11, 23, 0, 0, 0, TimeSpan.Zero));
        var before = Heap.LiveBytes();
        var clock = Stopwatch.StartNew();

        // Registrations (job definitions, DI descriptors, the options setup) ...
        // The jobs are paused below (through IJobControl, so that fires only do the bookkeeping); the stored pauses are
        // read back every ControlRefreshInterval, which the jumping fake clock would make part of every fire: off here.
        var services = EngineHost.BuildServices(
            jobs =>
            {
                ScheduledJobs.AddBulk(jobs, Jobs);
                jobs.Configure(o => o.ControlRefreshInterval = Timeout.InfiniteTimeSpan);
            },
            _time);
        clock.Stop();
        var registered = Heap.LiveBytes();
        clock.Start();

        // ... then the engine: each job's options, schedule, executor and entry, the name index and the timeline.
        _host = EngineHost.FromServices(services);
        var startUp = clock.Elapsed;
        var after = Heap.LiveBytes();
        for (var i = 0; i < Jobs; i++)
        {
            _host.Engine.Pause(ScheduledJobs.Name(i));
        }

        Metrics.Write(this, Metrics.AnyMethod, "heap-per-job", (after - before) / (double)Jobs);
        Metrics.Write(this, Metrics.AnyMethod, "engine-heap-per-job", (after - registered) / (double)Jobs);
        Metrics.Write(this, Metrics.AnyMethod, "startup", startUp.Ticks * 100.0);
        Metrics.Write(this, Metrics.AnyMethod, "timers", _time.TimersCreated);

        _zone = _time.LocalTimeZone;
        var entries = Enumerable.Range(0, Jobs).Select(i => _host.Engine.GetEntry(ScheduledJobs.Name(i))).ToArray();
        _fireTimes = [.. entries.Select(e => e.NextFireTime ?? throw new InvalidOperationException($"Job {e.Name} has no next fire.")).Order()];
        if (_fireTimes.Distinct().Count() != Jobs)
        {
            throw new InvalidOperationException("Two jobs share a fire instant; the fire count per invocation would not be exact.");
        }

        _queue = new PriorityQueue<(JobEntry, TriggerKind), long>(entries.Select(e => ((e, TriggerKind.Schedule), e.NextFireTime!.Value.UtcTicks)));
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = FiresPerInvoke)]
    public long PriorityQueueOnly()
    {
        var queue = _queue;
        long last = 0;
        for (var i = 0; i < FiresPerInvoke; i++)
        {
            queue.TryPeek(out var due, out var ticks);
            queue.Dequeue();
            queue.Enqueue(due, ticks + TimeSpan.TicksPerDay);
            last = ticks;
        }

        return last;
    }

    [Benchmark(OperationsPerInvoke = FiresPerInvoke)]
    public long NextFireBookkeeping()
    {
        var queue = _queue;
        var zone = _zone;
        long last = 0;
        for (var i = 0; i < FiresPerInvoke; i++)
        {
            queue.TryPeek(out var due, out var ticks);
            queue.Dequeue();
            var next = due.Entry.Schedule.GetNext(new DateTimeOffset(ticks, TimeSpan.Zero), zone);
            if (next is { } occurrence)
            {
                queue.Enqueue((due.Entry, occurrence.Kind), occurrence.Time.UtcTicks);
            }

            last = ticks;
        }

        return last;
    }

    [Benchmark(OperationsPerInvoke = FiresPerInvoke)]
    public ValueTask EngineFires()
    {
        var last = _nextFire + FiresPerInvoke - 1;
        _nextFire += FiresPerInvoke;
        var rearmed = _time.Rearmed.Arm();
        _time.SetUtcNow(FireTime(last));
        return rearmed;
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (_nextFire > 0)
        {
            // Every fire up to the clock's instant happened: each job's next fire is after it.
            var now = _time.GetUtcNow();
            var early = Enumerable.Range(0, Jobs).Count(i => _host.Engine.GetEntry(ScheduledJobs.Name(i)).NextFireTime <= now);
            if (early > 0)
            {
                throw new InvalidOperationException($"{early} jobs were not fired by {now:O}.");
            }
        }

        await _host.DisposeAsync().ConfigureAwait(false);
    }


    /// <summary>The instant of fire number <paramref name="k"/> (0-based) of the whole set: each job fires once a day.</summary>
    private DateTimeOffset FireTime(long k) => _fireTimes[k % _fireTimes.Length].AddDays(k / _fireTimes.Length);
}
