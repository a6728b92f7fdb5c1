using Commerce.Jobs.History;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Records;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;
using Commerce.Jobs.Tests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.Records;

public sealed class RecordJobTests
{
    private const string Job = "order-submit";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static Arbitrary<Scenario> Scenarios() =>
        (from size in Gen.Choose(0, 300)
         from batch in Gen.Choose(1, 40)
         from seed in Gen.Choose(0, int.MaxValue)
         from transient in Gen.Elements(0.0, 0.2, 0.5)
         from permanent in Gen.Elements(0.0, 0.05)
         from retries in Gen.Choose(0, 4)
         select new Scenario(size, batch, seed, transient, permanent, retries)).ToArbitrary();

    [Property(MaxTest = 60, Arbitrary = [typeof(RecordJobTests)])]
    public bool Every_record_gets_one_outcome_counts_add_up_and_repeated_runs_deliver_every_record_once(Scenario scenario)
    {
        var random = new Random(scenario.Seed);
        var orders = Enumerable.Range(0, scenario.Size).Select(i => new Order($"SO{i:D5}")).ToList();
        bool Invalid(string id) => (uint)HashCode.Combine(scenario.Seed, id) % 1000 < scenario.Permanent * 1000;
        var erp = new ScriptedErp(batch =>
        {
            var outcomes = new RecordOutcome[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                var id = batch.GetRecordId(i);
                outcomes[i] = Invalid(id) ? RecordOutcome.Permanent("invalid order")
                    : random.NextDouble() < scenario.Transient ? RecordOutcome.Transient("ERP busy")
                    : RecordOutcome.Delivered;
            }

            return DeliveryResult.PerRecord(outcomes);
        });
        var cart = new Cart(orders);
        var options = new JobOptions { BatchSize = scenario.BatchSize, MaxItemsToSkip = int.MaxValue };
        options.RetryWindow.MaxRetries = scenario.Retries;
        var sut = CreateSut(options, cart, erp, cart);

        for (var run = 0; run < 60 && cart.Pending > 0 || run == 0; run++)
        {
            var pendingBefore = cart.Pending;
            var reportsBefore = cart.Reports.Count;
            var result = Task.Run(() => sut.RunAsync()).GetAwaiter().GetResult();
            var reports = cart.Reports.Skip(reportsBefore).ToList();

            // Each record read in this run has exactly one outcome, and the counts add up.
            if (result.Counts.Read != pendingBefore
                || reports.Count != pendingBefore
                || reports.Select(r => r.Id).Distinct().Count() != reports.Count
                || result.Counts.Delivered + result.Counts.Skipped + result.Counts.Failed != result.Counts.Read
                || reports.Count(r => r.Outcome.Status == RecordStatus.Delivered) != result.Counts.Delivered
                || reports.Count(r => r.Outcome.Status == RecordStatus.Skipped) != result.Counts.Skipped)
            {
                return false;
            }
        }

        // Every record not invalid was delivered, exactly once by the runner; invalid ones failed and were never delivered.
        return orders.All(o => Invalid(o.Number)
            ? erp.DeliveredCount(o.Number) == 0 && cart.StatusOf(o.Number) == RecordStatus.PermanentFailure
            : erp.DeliveredCount(o.Number) == 1 && cart.StatusOf(o.Number) == RecordStatus.Delivered);
    }

    [Property(MaxTest = 60)]
    public Property Retries_never_exceed_N_and_all_start_within_T_of_the_first_failure()
    {
        var gen = from retries in Gen.Choose(1, 12)
                  from windowSeconds in Gen.Choose(1, 600)
                  from hintSeconds in Gen.Choose(-1, 120)
                  from failures in Gen.Choose(1, 20)
                  select (retries, windowSeconds, hintSeconds, failures);
        return Prop.ForAll(gen.ToArbitrary(), s =>
        {
            var calls = 0;
            var erp = new ScriptedErp(_ => ++calls <= s.failures
                ? DeliveryResult.TransientFailure("503 Service Unavailable", s.hintSeconds < 0 ? null : TimeSpan.FromSeconds(s.hintSeconds))
                : DeliveryResult.Delivered);
            var options = new JobOptions { BatchSize = 10 };
            options.RetryWindow.MaxRetries = s.retries;
            options.RetryWindow.Window = TimeSpan.FromSeconds(s.windowSeconds);
            var cart = new Cart([new Order("SO1")]);
            var sut = CreateSut(options, cart, erp, cart);
            var result = Task.Run(() => sut.RunAsync()).GetAwaiter().GetResult();
            var attempts = sut.Observer.Attempts.Select(a => a.StartedAt).ToList();

            var firstFailure = attempts[0];
            var windowEnd = firstFailure + options.RetryWindow.Window;
            var retried = attempts.Count - 1;
            var delivered = result.Counts.Delivered == 1;
            return retried <= s.retries
                && attempts.Skip(1).All(a => a <= windowEnd)
                && attempts.Zip(attempts.Skip(1)).All(p => s.hintSeconds < 0 || p.Second - p.First >= TimeSpan.FromSeconds(s.hintSeconds))
                && delivered == (retried == s.failures)
                && (delivered || result.Counts.Skipped == 1);
        });
    }

    [Theory]
    [InlineData(5, false)]
    [InlineData(6, true)]
    public async Task The_K_plus_first_skip_fails_the_run_and_notifies_once(int failing, bool fails)
    {
        var notifier = new CountingNotifier();
        var cart = new Cart(Enumerable.Range(0, 50).Select(i => new Order($"SO{i:D2}")));
        var erp = new ScriptedErp(b => b.GetRecordId(0).CompareTo($"SO{failing:D2}") < 0 ? DeliveryResult.TransientFailure("timeout") : DeliveryResult.Delivered);
        await using var engine = TestEngine.Create(
            jobs => jobs.AddRecordJob<Order>(Job).ReadFrom(cart).DeliverTo(erp).ReportStatusTo(cart)
                .Batch(size: 1, maxItemsToSkip: 5).RetryWithin(maxRetries: 0, window: TimeSpan.FromMinutes(1)),
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        engine.Engine.Trigger(Job);
        await engine.WaitForRunsAsync(Job, 1);
        await engine.NotifiedAsync();

        var run = engine.Runs.Single();
        Assert.Equal(fails ? JobOutcome.Failed : JobOutcome.PartiallySucceeded, run.Outcome);
        Assert.Equal(fails ? 1 : 0, notifier.Count);
        if (fails)
        {
            Assert.Contains("more than MaxItemsToSkip (5)", run.Error);
            Assert.True(run.Counts.Delivered < 44, "the run stopped instead of delivering the rest");
            Assert.Equal(run.Counts.Read, run.Counts.Delivered + run.Counts.Skipped + run.Counts.Failed);
        }
        else
        {
            Assert.Equal(new RecordCounts(50, 45, 5, 0), run.Counts);
        }
    }

    [Theory]
    [InlineData(5, false)]
    [InlineData(6, true)]
    public async Task Records_rejected_permanently_count_toward_MaxItemsToSkip_and_the_K_plus_first_fails_the_run(int rejected, bool fails)
    {
        var notifier = new CountingNotifier();
        var cart = new Cart(Enumerable.Range(0, 50).Select(i => new Order($"SO{i:D2}")));
        var erp = new ScriptedErp(b => b.GetRecordId(0).CompareTo($"SO{rejected:D2}") < 0 ? DeliveryResult.PermanentFailure("unknown customer") : DeliveryResult.Delivered);
        await using var engine = TestEngine.Create(
            jobs => jobs.AddRecordJob<Order>(Job).ReadFrom(cart).DeliverTo(erp).ReportStatusTo(cart).Batch(size: 1, maxItemsToSkip: 5),
            services: s => s.AddSingleton<IJobFailureNotifier>(notifier));

        engine.Engine.Trigger(Job);
        await engine.WaitForRunsAsync(Job, 1);
        await engine.NotifiedAsync();

        var run = engine.Runs.Single();
        Assert.Equal(fails ? JobOutcome.Failed : JobOutcome.PartiallySucceeded, run.Outcome);
        Assert.Equal(fails ? 1 : 0, notifier.Count);
        if (fails)
        {
            Assert.Contains("more than MaxItemsToSkip (5)", run.Error);
            Assert.Equal(6, run.Counts.Failed);
            Assert.True(run.Counts.Delivered < 44, "the run stopped instead of delivering the rest");
        }
        else
        {
            Assert.Equal(new RecordCounts(50, 45, 0, 5), run.Counts);
        }
    }

    [Fact]
    public async Task A_run_that_delivered_nothing_fails_whatever_MaxItemsToSkip_whether_its_records_were_rejected_or_skipped()
    {
        var options = new JobOptions { BatchSize = 2, MaxItemsToSkip = 1_000 };
        options.RetryWindow.MaxRetries = 0;
        var rejectedCart = new Cart([new Order("SO1"), new Order("SO2"), new Order("SO3")]);
        var rejected = CreateSut(options, rejectedCart, new ScriptedErp(_ => DeliveryResult.PermanentFailure("invalid")), rejectedCart);
        var timedOut = CreateSut(options, new Cart([new Order("SO1"), new Order("SO2"), new Order("SO3")]), new ScriptedErp(_ => throw new TimeoutException("ERP did not answer")), null);
        var mixed = CreateSut(options, new Cart([new Order("SO1"), new Order("SO2")]), new ScriptedErp(_ => DeliveryResult.PerRecord([RecordOutcome.Permanent("invalid"), RecordOutcome.Transient("locked")])), null);

        var all = await Task.WhenAll(rejected.RunAsync(), timedOut.RunAsync(), mixed.RunAsync());

        Assert.All(all, r => Assert.Equal(JobOutcome.Failed, r.Outcome));
        Assert.Equal([new RecordCounts(3, 0, 0, 3), new RecordCounts(3, 0, 3, 0), new RecordCounts(2, 0, 1, 1)], all.Select(r => r.Counts));
        Assert.All(all, r => Assert.Contains("nothing was delivered", r.Error, StringComparison.OrdinalIgnoreCase));

        // A run that read nothing, or delivered something, is not failed by this rule.
        Assert.Equal(JobOutcome.Succeeded, (await rejected.RunAsync()).Outcome);
        var some = CreateSut(options, new Cart([new Order("SO1"), new Order("SO2")]), new ScriptedErp(b => b.GetRecordId(0) == "SO1" ? DeliveryResult.PerRecord([RecordOutcome.Delivered, RecordOutcome.Permanent("invalid")]) : DeliveryResult.Delivered), null);
        Assert.Equal(JobOutcome.PartiallySucceeded, (await some.RunAsync()).Outcome);
    }

    [Fact]
    public async Task A_million_records_stream_through_in_bounded_memory()
    {
        var source = new GeneratedOrders(1_000_000);
        var erp = new CountingTarget();
        var sut = CreateSut(new JobOptions { BatchSize = 500 }, source, erp, source);

        // A second here; on a busy machine (CI runs four CPU burners beside the suite on two cores) it may take minutes:
        // the bound only ends a hang.
        var result = await sut.RunAsync(patience: TimeSpan.FromMinutes(10));

        Assert.Equal(new RecordCounts(1_000_000, 1_000_000, 0, 0), result.Counts);
        Assert.Equal(1_000_000, erp.Count);
        // At most: one batch being filled, two queued in the channel, one being delivered.
        Assert.InRange(source.MaxOutstanding, 1, 4 * 500);
    }

    [Fact]
    public async Task Skipped_records_are_kept_in_the_store_with_attempts_and_error_and_forgotten_once_delivered()
    {
        var store = new InMemoryJobStore();
        var cart = new Cart([new Order("SO1"), new Order("SO2")]);
        var down = true;
        var erp = new ScriptedErp(b => down && b.GetRecordId(0) == "SO2" ? DeliveryResult.TransientFailure("ERP busy") : DeliveryResult.Delivered);
        var options = new JobOptions { BatchSize = 1 };
        options.RetryWindow.MaxRetries = 0;
        var sut = CreateSut(options, cart, erp, cart, store);

        await sut.RunAsync();
        await sut.RunAsync();
        var failure = Assert.Single(await store.ReadAllRecordFailuresAsync(Job));
        Assert.Equal(("SO2", RecordStatus.Skipped, "ERP busy", 2), (failure.RecordId, failure.Status, failure.Error, failure.Attempts));

        down = false;
        var result = await sut.RunAsync();
        Assert.Equal(new RecordCounts(1, 1, 0, 0), result.Counts);
        Assert.Empty(await store.ReadAllRecordFailuresAsync(Job));
    }

    [Fact]
    public async Task A_run_reads_only_the_failures_of_the_records_it_delivered_not_the_jobs_whole_list()
    {
        var store = new InMemoryJobStore();
        await store.AddRecordFailuresAsync(Job, [.. Enumerable.Range(0, 5_000).Select(i => new RecordFailure($"OLD{i:D4}", RecordStatus.Skipped, "ERP busy", 0, TestEngine.Start))], default);
        await store.AddRecordFailuresAsync(Job, [new RecordFailure("SO2", RecordStatus.Skipped, "ERP busy", 0, TestEngine.Start), new RecordFailure("SO4", RecordStatus.PermanentFailure, "bad sku", 0, TestEngine.Start)], default);
        var reads = FailureReadCounter.Create(store);
        var cart = new Cart([new Order("SO1"), new Order("SO2"), new Order("SO3"), new Order("SO4")]);
        var sut = CreateSut(new JobOptions { BatchSize = 2 }, cart, new CountingTarget(), cart, store, reads);

        Assert.Equal(new RecordCounts(4, 4, 0, 0), (await sut.RunAsync()).Counts);

        // The delivered records' failures are forgotten, the others kept; the run read a row to know the job has failures,
        // then only failures among each batch's delivered ids — never the 5,002 of the job.
        var left = await store.ReadAllRecordFailuresAsync(Job, pageSize: 1_000);
        Assert.Equal(5_000, left.Count);
        Assert.DoesNotContain(left, f => f.RecordId is "SO2" or "SO4");
        Assert.InRange(((FailureReadCounter)(object)reads).Rows, 1, 1 + 2);
    }

    [Fact]
    public async Task Resubmit_re_offers_records_that_failed_permanently()
    {
        var cart = new Cart([new Order("SO1")]);
        var invalid = true;
        var erp = new ScriptedErp(_ => invalid ? DeliveryResult.PermanentFailure("unknown customer") : DeliveryResult.Delivered);
        var sut = CreateSut(new JobOptions(), cart, erp, cart);

        Assert.Equal(new RecordCounts(1, 0, 0, 1), (await sut.RunAsync()).Counts);
        Assert.Equal(new RecordCounts(0, 0, 0, 0), (await sut.RunAsync()).Counts);
        invalid = false;
        Assert.Equal(new RecordCounts(1, 1, 0, 0), (await sut.RunAsync(TriggerKind.Resubmit)).Counts);
        Assert.True(cart.LastQuery!.IncludeFailed);
        Assert.Equal(RecordStatus.Delivered, cart.StatusOf("SO1"));
    }

    [Fact]
    public async Task Permanent_failures_are_never_retried()
    {
        var cart = new Cart([new Order("SO1")]);
        var erp = new ScriptedErp(_ => DeliveryResult.PermanentFailure("invalid"));
        var sut = CreateSut(new JobOptions(), cart, erp, cart);

        var result = await sut.RunAsync();

        Assert.Equal(1, erp.Calls);
        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Equal(RecordStatus.PermanentFailure, cart.StatusOf("SO1"));
    }

    [Fact]
    public async Task A_partially_failed_batch_retries_only_the_failed_records()
    {
        var cart = new Cart(Enumerable.Range(0, 4).Select(i => new Order($"SO{i}")));
        var batches = new List<string[]>();
        var erp = new ScriptedErp(b =>
        {
            var ids = Enumerable.Range(0, b.Count).Select(b.GetRecordId).ToArray();
            batches.Add(ids);
            return batches.Count == 1
                ? DeliveryResult.PerRecord([RecordOutcome.Delivered, RecordOutcome.Transient("lock"), RecordOutcome.Permanent("bad"), RecordOutcome.Transient("lock")])
                : DeliveryResult.Delivered;
        });
        var sut = CreateSut(new JobOptions(), cart, erp, cart);

        var result = await sut.RunAsync();

        Assert.Equal(new RecordCounts(4, 3, 0, 1), result.Counts);
        Assert.Equal(["SO1", "SO3"], batches[1]);
    }

    [Fact]
    public async Task A_target_that_throws_is_a_transient_failure()
    {
        var cart = new Cart([new Order("SO1")]);
        var calls = 0;
        var erp = new ScriptedErp(_ => ++calls == 1 ? throw new HttpRequestException("connection refused") : DeliveryResult.Delivered);
        var sut = CreateSut(new JobOptions(), cart, erp, cart);

        var result = await sut.RunAsync();

        Assert.Equal(new RecordCounts(1, 1, 0, 0), result.Counts);
        Assert.Equal(2, calls);
    }

    [Fact]
    public async Task MaxAge_asks_the_source_only_for_newer_records_and_status_updates_can_be_switched_off()
    {
        var cart = new Cart([new Order("old", TestEngine.Start.AddDays(-40)), new Order("new", TestEngine.Start.AddDays(-1))]);
        var erp = new ScriptedErp();
        var options = new JobOptions { MaxAge = TimeSpan.FromDays(30), UpdateStatus = false };
        var sut = CreateSut(options, cart, erp, cart);

        var result = await sut.RunAsync();

        Assert.Equal(TestEngine.Start.AddDays(-30), cart.LastQuery!.NotBefore);
        Assert.Equal(1, result.Counts.Delivered);
        Assert.Equal(1, erp.DeliveredCount("new"));
        Assert.Empty(cart.Reports);
    }

    [Fact]
    public async Task A_failing_source_fails_the_run_and_keeps_what_was_delivered()
    {
        var erp = new ScriptedErp();
        var sut = CreateSut(new JobOptions { BatchSize = 2 }, new BrokenSource(), erp, null);

        var result = await sut.RunAsync();

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Contains("cart database unavailable", result.Error);
        Assert.Equal(2, result.Counts.Delivered);
    }

    [Fact]
    public async Task Automatic_record_job_delivers_a_signalled_order()
    {
        var cart = new Cart();
        var erp = new ScriptedErp();
        await using var engine = TestEngine.Create(jobs => jobs.AddRecordJob<Order>(Job).ReadFrom(cart).DeliverTo(erp).ReportStatusTo(cart).Schedule(Schedule.Automatic()));

        cart.Add(new Order("SO1"));
        engine.Engine.Signal(Job);
        await engine.WaitForRunsAsync(Job, 1);

        Assert.Equal(1, erp.DeliveredCount("SO1"));
        Assert.Equal(RecordStatus.Delivered, cart.StatusOf("SO1"));
        Assert.Equal(TriggerKind.Automatic, engine.Runs.Single().Trigger);
    }

    private static Sut CreateSut(JobOptions options, IRecordSource<Order> source, IDeliveryTarget<Order> target, IRecordStatusSink<Order>? sink, IJobStore? store = null, IRecordStore? records = null)
    {
        var time = new AutoAdvanceTimeProvider(TestEngine.Start);
        var observer = new TestObserver();
        store ??= new InMemoryJobStore();
        var services = new ServiceCollection()
            .AddSingleton(store)
            .AddSingleton(records ?? store)
            .AddSingleton<TimeProvider>(time)
            .AddSingleton<EngineObserver>(observer)
            .BuildServiceProvider();
        var definition = new RecordJobDefinition<Order>(Job) { Source = _ => source, Target = _ => target, Sink = sink is null ? null : _ => sink };
        return new Sut((RecordJobExecutor<Order>)definition.CreateExecutor(services, options), services, time, observer);
    }

    public sealed record Scenario(int Size, int BatchSize, int Seed, double Transient, double Permanent, int Retries);

    private sealed record Sut(RecordJobExecutor<Order> Executor, IServiceProvider Services, FakeTimeProvider Time, TestObserver Observer)
    {
        public Task<JobResult> RunAsync(TriggerKind trigger = TriggerKind.Automatic, TimeSpan? patience = null)
            => Executor.ExecuteAsync(new JobContext(Job, Guid.NewGuid(), trigger, null, Services, Time), CancellationToken.None).AsTask().WaitAsync(patience ?? Patience);
    }

    /// <summary>Forwards a record store's members and counts the failure rows its reads return.</summary>
    public class FailureReadCounter : System.Reflection.DispatchProxy
    {
        private IRecordStore _inner = null!;
        private int _rows;

        public int Rows => Volatile.Read(ref _rows);

        internal static IRecordStore Create(IRecordStore inner)
        {
            var proxy = Create<IRecordStore, FailureReadCounter>();
            ((FailureReadCounter)(object)proxy)._inner = inner;
            return proxy;
        }

        protected override object? Invoke(System.Reflection.MethodInfo? targetMethod, object?[]? args)
        {
            var result = targetMethod!.Invoke(_inner, args);
            return result is ValueTask<IReadOnlyList<RecordFailure>> read ? new ValueTask<IReadOnlyList<RecordFailure>>(CountAsync(read)) : result;
        }

        private async Task<IReadOnlyList<RecordFailure>> CountAsync(ValueTask<IReadOnlyList<RecordFailure>> read)
        {
            var failures = await read;
            Interlocked.Add(ref _rows, failures.Count);
            return failures;
        }
    }

    private sealed class CountingTarget : IDeliveryTarget<Order>
    {
        public long Count;

        public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Order> batch, CancellationToken cancellationToken)
        {
            Count += batch.Count;
            return ValueTask.FromResult(DeliveryResult.Delivered);
        }
    }

    private sealed class BrokenSource : IRecordSource<Order>
    {
        public async IAsyncEnumerable<Order> ReadAsync(RecordQuery query, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return new Order("SO1");
            yield return new Order("SO2");
            throw new InvalidOperationException("cart database unavailable");
        }
    }

    private sealed class CountingNotifier : IJobFailureNotifier
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public ValueTask NotifyAsync(JobFailure failure, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _count);
            return ValueTask.CompletedTask;
        }
    }
}
