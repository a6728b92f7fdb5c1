using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Tests.Targets;

public sealed class TargetHealthTests
{
    [Fact]
    public async Task A_failing_target_becomes_unhealthy_pauses_its_deliveries_notifies_once_and_holds_back_no_other_target()
    {
        var erp = new SwitchableTarget("erp") { Failing = true };
        var search = new SwitchableTarget("search");
        var notifier = new HealthNotifier();
        var erpOrders = new Cart(Enumerable.Range(0, 40).Select(i => new Order($"SO{i:D2}")));
        var searchOrders = new Cart(Enumerable.Range(0, 40).Select(i => new Order($"SO{i:D2}")));
        await using var sut = TestEngine.Create(
            jobs =>
            {
                jobs.AddTarget(erp).AddTarget(search);
                jobs.ConfigureTarget("erp", t =>
                {
                    t.MinimumThroughput = 4;
                    t.FailureRatio = 0.5;
                    t.BreakDuration = TimeSpan.FromMinutes(1);
                });
                jobs.AddRecordJob<Order>("order-submit").ReadFrom(erpOrders).ReportStatusTo(erpOrders).DeliverTo("erp")
                    .Batch(size: 2).RetryWithin(maxRetries: 0, window: TimeSpan.FromMinutes(1));
                jobs.AddRecordJob<Order>("order-index").ReadFrom(searchOrders).ReportStatusTo(searchOrders).DeliverTo("search")
                    .Batch(size: 2).RetryWithin(maxRetries: 0, window: TimeSpan.FromMinutes(1));
            },
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        sut.Engine.Trigger("order-submit");
        sut.Engine.Trigger("order-index");
        await sut.WaitForAsync(r => r.Any(x => x.JobName == "order-submit") && r.Any(x => x.JobName == "order-index"));

        var run = sut.Runs.Single(r => r.JobName == "order-submit");
        Assert.Equal(JobOutcome.PartiallySucceeded, run.Outcome);
        Assert.Contains("Target 'erp' is unhealthy", run.Error);
        Assert.Equal(4, erp.Calls);
        Assert.Equal(40, erpOrders.Pending);
        Assert.Equal(new RecordCounts(40, 40, 0, 0), sut.Runs.Single(r => r.JobName == "order-index").Counts);

        var health = Assert.Single(sut.Engine.GetTargetHealth(), h => h.TargetName == "erp");
        Assert.Equal(TargetHealthState.Unhealthy, health.State);
        Assert.Equal(TestEngine.Start.AddMinutes(1), health.PausedUntil);
        Assert.Contains("ERP down", health.LastError);
        Assert.Equal(TargetHealthState.Healthy, sut.Engine.GetTargetHealth().Single(h => h.TargetName == "search").State);

        // Another run while the break lasts reads nothing, does not call the target, and nobody is told twice.
        sut.Engine.Trigger("order-submit");
        await sut.WaitForRunsAsync("order-submit", 2);
        Assert.Equal(4, erp.Calls);
        Assert.Equal(0, sut.Runs.Where(r => r.JobName == "order-submit").Last().Counts.Read);
        Assert.Equal(["erp"], notifier.Unhealthy);

        // After the break the target is probed; it recovered, so everything goes out.
        erp.Failing = false;
        sut.Time.Advance(TimeSpan.FromMinutes(1));
        sut.Engine.Trigger("order-submit");
        await sut.WaitForRunsAsync("order-submit", 3);
        Assert.Equal(0, erpOrders.Pending);
        Assert.Equal(TargetHealthState.Healthy, sut.Engine.GetTargetHealth().Single(h => h.TargetName == "erp").State);
    }

    [Fact]
    public async Task A_target_concurrency_limit_holds_across_jobs()
    {
        var erp = new SwitchableTarget("erp") { Yield = true };
        await using var sut = TestEngine.Create(jobs =>
        {
            jobs.AddTarget(erp);
            jobs.ConfigureTarget("erp", t => t.MaxConcurrency = 1);
            for (var j = 0; j < 4; j++)
            {
                var cart = new Cart(Enumerable.Range(0, 50).Select(i => new Order($"J{j}-{i}")));
                jobs.AddRecordJob<Order>($"export-{j}").ReadFrom(cart).ReportStatusTo(cart).DeliverTo("erp").Batch(size: 5);
            }
        });

        for (var j = 0; j < 4; j++)
        {
            sut.Engine.Trigger($"export-{j}");
        }

        await sut.WaitForAsync(r => r.Count == 4);
        Assert.Equal(200, sut.Runs.Sum(r => r.Counts.Delivered));
        Assert.Equal(1, erp.MaxInFlight);
    }

    [Fact]
    public void Target_options_are_validated_at_start_with_the_target_name()
    {
        var cart = new Cart([new Order("SO1")]);
        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => TestEngine.Create(jobs =>
        {
            jobs.AddTarget(new SwitchableTarget("erp"));
            jobs.ConfigureTarget("erp", t => t.MaxConcurrency = 0);
            jobs.AddRecordJob<Order>("order-submit").ReadFrom(cart).DeliverTo("erp");
        }));

        Assert.Contains("Target 'erp': MaxConcurrency must be between 1 and 1000 (was 0).", error.Message);
    }

    private sealed class SwitchableTarget(string name) : IDeliveryTarget
    {
        private int _inFlight;
        private int _calls;

        public string Name { get; } = name;

        public bool Failing { get; set; }

        public bool Yield { get; set; }

        public int Calls => Volatile.Read(ref _calls);

        public int MaxInFlight { get; private set; }

        public async ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            var now = Interlocked.Increment(ref _inFlight);
            lock (this)
            {
                MaxInFlight = Math.Max(MaxInFlight, now);
            }

            if (Yield)
            {
                await Task.Yield();
            }

            Interlocked.Decrement(ref _inFlight);
            return Failing ? DeliveryResult.TransientFailure("ERP down: 503") : DeliveryResult.Delivered;
        }
    }

    private sealed class HealthNotifier : IJobFailureNotifier
    {
        private readonly List<string> _unhealthy = [];

        public IReadOnlyList<string> Unhealthy
        {
            get
            {
                lock (_unhealthy)
                {
                    return [.. _unhealthy];
                }
            }
        }

        public ValueTask NotifyAsync(JobFailure failure, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        public ValueTask NotifyTargetUnhealthyAsync(TargetHealth health, string hostName, CancellationToken cancellationToken)
        {
            lock (_unhealthy)
            {
                _unhealthy.Add(health.TargetName);
            }

            return ValueTask.CompletedTask;
        }
    }
}
