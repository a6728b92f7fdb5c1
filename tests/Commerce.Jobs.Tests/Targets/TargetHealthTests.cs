using Commerce.Jobs.History;
using Commerce.Jobs.Records;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Targets;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

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
        Assert.Equal(JobOutcome.Failed, run.Outcome);
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
        await sut.NotifiedAsync();
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
    public async Task Records_that_always_fail_transiently_never_open_the_breaker_with_default_settings_and_the_good_records_go_out()
    {
        var time = new AutoAdvanceTimeProvider(TestEngine.Start);
        var opened = 0;
        using var monitor = new TargetHealthMonitor("erp", new TargetOptions(), time, _ =>
        {
            Interlocked.Increment(ref opened);
            return ValueTask.CompletedTask;
        });
        var poison = new HashSet<string> { "SO00", "SO01", "SO02", "SO03" };
        var cart = new Cart(Enumerable.Range(0, 30).Select(i => new Order($"SO{i:D2}")));
        var erp = new ScriptedErp(b => DeliveryResult.PerRecord([.. Enumerable.Range(0, b.Count).Select(i => poison.Contains(b.GetRecordId(i)) ? RecordOutcome.Transient("lock timeout on this order") : RecordOutcome.Delivered)]));
        var services = new ServiceCollection().AddSingleton<IJobStore>(new InMemoryJobStore()).AddSingleton<TimeProvider>(time).BuildServiceProvider();
        var definition = new RecordJobDefinition<Order>("order-submit") { Source = _ => cart, Target = _ => erp, Sink = _ => cart };
        var executor = new RecordJobExecutor<Order>(definition, new JobOptions { BatchSize = 1 }, o => o.Number, null, monitor, services.GetRequiredService<IJobStore>(), time, observer: null);

        var result = await Task.Run(() => executor.ExecuteAsync(new JobContext("order-submit", Guid.NewGuid(), TriggerKind.Manual, null, services, time), CancellationToken.None).AsTask()).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(new RecordCounts(30, 26, 4, 0), result.Counts);
        Assert.Equal(4 * 4, erp.Calls - 26);
        Assert.Equal(TargetHealthState.Healthy, monitor.Snapshot().State);
        Assert.Equal(0, Volatile.Read(ref opened));
    }

    [Fact]
    public async Task Only_a_first_attempt_whose_call_failed_counts_against_the_target_and_a_retry_waits_out_a_break()
    {
        var time = new FakeTimeProvider(TestEngine.Start);
        using var monitor = new TargetHealthMonitor("erp", new TargetOptions { MinimumThroughput = 2, FailureRatio = 0.5 }, time, _ => ValueTask.CompletedTask);
        Func<DeliveryBatch<Order>, DeliveryResult> respond = _ => DeliveryResult.TransientFailure("503 Service Unavailable");
        var erp = new ScriptedErp(b => respond(b));
        DeliveryBatch<Order> Batch(int attempt) => new("order-submit", new[] { new Order("SO1"), new Order("SO2") }, o => o.Number, attempt);

        // Retries carry only records that already failed: whatever they meet, they never count.
        for (var i = 0; i < 20; i++)
        {
            await monitor.DeliverAsync(erp, Batch(1 + (i % 3)), CancellationToken.None);
        }

        Assert.Equal(TargetHealthState.Healthy, monitor.Snapshot().State);

        // Per-record outcomes never count, even when every record of a first attempt failed transiently.
        respond = _ => DeliveryResult.PerRecord([RecordOutcome.Transient("locked"), RecordOutcome.Transient("locked")]);
        for (var i = 0; i < 20; i++)
        {
            await monitor.DeliverAsync(erp, Batch(0), CancellationToken.None);
        }

        Assert.Equal(TargetHealthState.Healthy, monitor.Snapshot().State);
        Assert.Equal(40, erp.Calls);

        // A first attempt that throws, or fails as a whole, does (in a fresh sampling window).
        time.Advance(TimeSpan.FromMinutes(3));
        respond = _ => throw new HttpRequestException("connection refused");
        await Assert.ThrowsAsync<HttpRequestException>(() => monitor.DeliverAsync(erp, Batch(0), CancellationToken.None).AsTask());
        respond = _ => DeliveryResult.TransientFailure("503 Service Unavailable");
        await monitor.DeliverAsync(erp, Batch(0), CancellationToken.None);
        await monitor.DeliverAsync(erp, Batch(0), CancellationToken.None);
        Assert.Equal(TargetHealthState.Unhealthy, monitor.Snapshot().State);

        // While the break lasts a retry is not sent either: it is answered as paused.
        var calls = erp.Calls;
        var paused = await monitor.DeliverAsync(erp, Batch(2), CancellationToken.None);
        Assert.Equal(calls, erp.Calls);
        Assert.Equal(RecordStatus.TransientFailure, paused.BatchStatus);
        Assert.Contains("unhealthy", paused.Error);
        Assert.NotNull(paused.RetryAfter);
    }

    [Fact]
    public async Task Records_a_run_never_attempted_because_its_target_was_paused_do_not_count_toward_MaxItemsToSkip()
    {
        var time = new FakeTimeProvider(TestEngine.Start);
        using var monitor = new TargetHealthMonitor("erp", new TargetOptions { MinimumThroughput = 4, FailureRatio = 0.5 }, time, _ => ValueTask.CompletedTask);
        var cart = new Cart(Enumerable.Range(0, 20).Select(i => new Order($"SO{i:D2}")));

        // Batches of one: while the 4th call is made, the reader has read ahead the 5th and 6th (the channel holds two)
        // and holds the 7th; the call waits for that, so the run always stops with three records never attempted.
        var source = new CountingSource(cart, signalAt: 7);
        var calls = 0;
        var erp = new ScriptedErp(_ =>
        {
            var call = Interlocked.Increment(ref calls);
            if (call <= 2)
            {
                return DeliveryResult.Delivered;
            }

            if (call == 4)
            {
                Assert.True(source.ReadAhead.Wait(TimeSpan.FromSeconds(60)), "the reader read ahead");
            }

            throw new HttpRequestException("connection refused");
        });
        var services = new ServiceCollection().AddSingleton<IJobStore>(new InMemoryJobStore()).AddSingleton<TimeProvider>(time).BuildServiceProvider();
        var definition = new RecordJobDefinition<Order>("order-submit") { Source = _ => source, Target = _ => erp, Sink = _ => cart };
        var options = new JobOptions { BatchSize = 1, MaxItemsToSkip = 3 };
        options.RetryWindow.MaxRetries = 0;
        var executor = new RecordJobExecutor<Order>(definition, options, o => o.Number, null, monitor, services.GetRequiredService<IJobStore>(), time, observer: null);

        var result = await Task.Run(() => executor.ExecuteAsync(new JobContext("order-submit", Guid.NewGuid(), TriggerKind.Manual, null, services, time), CancellationToken.None).AsTask()).WaitAsync(TimeSpan.FromSeconds(60));

        // Two delivered, two skipped after their calls failed (the breaker opened), three read ahead and never
        // attempted: the target is unhealthy, not the records; the run says so and is not failed by the threshold.
        Assert.Equal(TargetHealthState.Unhealthy, monitor.Snapshot().State);
        Assert.Equal(4, calls);
        Assert.Equal(new RecordCounts(7, 2, 5, 0), result.Counts);
        Assert.Equal(JobOutcome.PartiallySucceeded, result.Outcome);
        Assert.Contains("Target 'erp' is unhealthy", result.Error);
    }

    /// <summary>A source that says when it has handed out a given number of records.</summary>
    private sealed class CountingSource(IRecordSource<Order> inner, int signalAt) : IRecordSource<Order>
    {
        private int _read;

        public ManualResetEventSlim ReadAhead { get; } = new();

        public async IAsyncEnumerable<Order> ReadAsync(RecordQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await foreach (var order in inner.ReadAsync(query, cancellationToken).ConfigureAwait(false))
            {
                if (Interlocked.Increment(ref _read) >= signalAt)
                {
                    ReadAhead.Set();
                }

                yield return order;
            }
        }
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
