using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Commerce.Jobs.Tests.TestSupport;

namespace Commerce.Jobs.Tests.Hosting;

/// <summary>The instruments the README documents are published on the "Commerce.Jobs" meter.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task Delivery_duration_is_recorded_per_target_and_runs_per_outcome()
    {
        var target = $"search-{Guid.NewGuid():N}";
        using var listener = new Listener();
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.AddTarget(new AcceptingTarget(target));
            jobs.AddRecordJob<Item>("upload").ReadFrom(new FiveItems()).DeliverTo(target).WithKey(i => i.Id).Batch(2);
        });

        Assert.Equal(JobOutcome.Succeeded, (await sut.Engine.RunAsync("upload", null, TimeSpan.FromSeconds(30), CancellationToken.None)).Outcome);

        Assert.Equal(3, listener.Measurements.Count(m => m.Instrument == "commerce_jobs.delivery.duration" && m.Tags.Contains(new("target", target))));
        Assert.Contains(listener.Measurements, m => m.Instrument == "commerce_jobs.runs.completed" && m.Tags.Contains(new("job", "upload")) && m.Tags.Contains(new("outcome", JobOutcome.Succeeded)));
    }

    [Fact]
    public async Task Queue_depth_counts_runs_waiting_for_a_worker()
    {
        var host = $"host-{Guid.NewGuid():N}";
        var gate = new TaskCompletionSource();
        var blocking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new Listener();
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.Configure(o => (o.HostName, o.MaxConcurrentRuns) = (host, 1));
            jobs.AddJob("blocker", async (_, ct) =>
            {
                blocking.TrySetResult();
                await gate.Task.WaitAsync(ct);
                return JobResult.Success;
            });
            jobs.AddJob("a", static (_, _) => ValueTask.FromResult(JobResult.Success));
            jobs.AddJob("b", static (_, _) => ValueTask.FromResult(JobResult.Success));
        });

        sut.Engine.Trigger("blocker");
        await blocking.Task.WaitAsync(TimeSpan.FromSeconds(30));
        sut.Engine.Trigger("a");
        sut.Engine.Trigger("b");

        Assert.Equal(2, listener.ObserveQueueDepth(host));
        gate.SetResult();
        await sut.WaitForAsync(runs => runs.Count == 3);
        Assert.Equal(0, listener.ObserveQueueDepth(host));
    }

    private sealed record Item(string Id);

    private sealed class FiveItems : IRecordSource<Item>
    {
        public async IAsyncEnumerable<Item> ReadAsync(RecordQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            for (var i = 0; i < 5; i++)
            {
                await Task.Yield();
                yield return new Item($"i{i}");
            }
        }
    }

    private sealed class AcceptingTarget(string name) : IDeliveryTarget
    {
        public string Name => name;

        public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken) => ValueTask.FromResult(DeliveryResult.Delivered);
    }

    private sealed record Measured(string Instrument, double Value, KeyValuePair<string, object?>[] Tags);

    private sealed class Listener : IDisposable
    {
        private readonly MeterListener _listener = new();

        public Listener()
        {
            _listener.InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Commerce.Jobs")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((i, v, t, _) => Measurements.Add(new(i.Name, v, t.ToArray())));
            _listener.SetMeasurementEventCallback<int>((i, v, t, _) => Measurements.Add(new(i.Name, v, t.ToArray())));
            _listener.SetMeasurementEventCallback<double>((i, v, t, _) => Measurements.Add(new(i.Name, v, t.ToArray())));
            _listener.Start();
        }

        public ConcurrentBag<Measured> Measurements { get; } = [];

        public double ObserveQueueDepth(string host)
        {
            Measurements.Clear();
            _listener.RecordObservableInstruments();
            return Measurements.Single(m => m.Instrument == "commerce_jobs.queue.depth" && m.Tags.Contains(new("host", host))).Value;
        }

        public void Dispose() => _listener.Dispose();
    }
}
