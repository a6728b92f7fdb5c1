using System.Text;
using System.Text.Json;
using Commerce.Jobs.History;
using Commerce.Jobs.Records;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;
using Commerce.Jobs.Tests.TestSupport;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.Records;

/// <summary>One record never harms the others, and a run keeps its truth: poison payloads, failing sinks, cancellation, leases.</summary>
public sealed class HostileRecordTests
{
    private const string Job = "order-submit";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static Arbitrary<byte[]> PoisonPayloads() => Gen.OneOf(
        ArbMap.Default.GeneratorFor<byte[]>(),
        ArbMap.Default.GeneratorFor<string>().Select(s => Encoding.UTF8.GetBytes(s ?? string.Empty)),
        ArbMap.Default.GeneratorFor<string>().Select(s => Encoding.UTF8.GetBytes($"{{\"Number\":{JsonSerializer.Serialize(s)}}}")),
        Gen.Elements(
            "null"u8.ToArray(),
            "{}"u8.ToArray(),
            "{\"Number\":42}"u8.ToArray(),
            "[1,2,3]"u8.ToArray(),
            "\"an order\""u8.ToArray(),
            "{\"Number\":\"SO\u0000\r\n\"}"u8.ToArray(),
            new string('[', 10_000).Select(c => (byte)c).ToArray(),
            [])).ToArbitrary();

    [Property(MaxTest = 40, Arbitrary = [typeof(HostileRecordTests)])]
    public bool A_payload_that_cannot_be_read_is_quarantined_alone_and_the_good_records_go_out(byte[][] poison)
    {
        var sut = CreateSut(new ScriptedErp(), options: new JobOptions { BatchSize = 3, MaxItemsToSkip = int.MaxValue });
        var good = 0;
        var bad = new List<string>();
        for (var i = 0; i < poison.Length; i++)
        {
            sut.Offer(new Order($"SO{good++}"));
            bad.Add($"bad{i}");
            sut.Enqueue($"bad{i}", poison[i]);
        }

        sut.Offer(new Order($"SO{good++}"));

        var result = Task.Run(() => sut.RunAsync()).GetAwaiter().GetResult();

        var failures = sut.Store.ReadAllRecordFailuresAsync(Job).GetAwaiter().GetResult();
        return result.Counts == new RecordCounts(good + bad.Count, good, 0, bad.Count)
            && sut.Erp.Delivered.Count == good
            && failures.Select(f => f.RecordId).Order(StringComparer.Ordinal).SequenceEqual(bad.Order(StringComparer.Ordinal))
            && failures.All(f => f.Status == RecordStatus.PermanentFailure && f.Error!.Contains(nameof(Order), StringComparison.Ordinal))
            && sut.Store.CountPendingRecordsAsync(Job, CancellationToken.None).AsTask().GetAwaiter().GetResult() == 0;
    }

    [Fact]
    public async Task A_quarantined_record_is_failed_in_the_store_with_its_error_and_goes_out_on_resubmit_after_a_fix()
    {
        var sut = CreateSut(new ScriptedErp());
        sut.Offer(new Order("SO1"));
        sut.Enqueue("SO2", "{\"Number\":2}"u8.ToArray());
        sut.Enqueue("SO3", "null"u8.ToArray());
        sut.Offer(new Order("SO4"));

        var result = await sut.RunAsync();

        Assert.Equal(JobOutcome.PartiallySucceeded, result.Outcome);
        Assert.Equal(new RecordCounts(4, 2, 0, 2), result.Counts);
        Assert.Equal(["SO1", "SO4"], sut.Erp.Delivered.Keys.Order());
        var failures = (await sut.Store.ReadAllRecordFailuresAsync(Job)).OrderBy(f => f.RecordId).ToList();
        Assert.Equal(["SO2", "SO3"], failures.Select(f => f.RecordId));
        Assert.All(failures, f => Assert.Equal(RecordStatus.PermanentFailure, f.Status));
        Assert.Contains("JsonException", failures[0].Error);
        Assert.Contains("null", failures[1].Error);
        Assert.Contains(sut.LastLog, e => e.Level == JobLogLevel.Warning && e.Message.Contains("SO2", StringComparison.Ordinal));

        // Failed, not pending: a plain run leaves them alone; a resubmit claims them again.
        Assert.Equal(new RecordCounts(0, 0, 0, 0), (await sut.RunAsync()).Counts);
        Assert.Equal(2, sut.Erp.Delivered.Count);

        // After the fix (a converter that reads the old shape) a resubmit delivers it and forgets its failure; the null stays failed.
        sut.Engine.SerializerOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web) { Converters = { new OldOrderNumberConverter() } };
        var resubmit = await sut.RunAsync(TriggerKind.Resubmit);
        Assert.Equal(new RecordCounts(2, 1, 0, 1), resubmit.Counts);
        Assert.Equal(1, sut.Erp.DeliveredCount("SO2"));
        Assert.Equal(["SO3"], (await sut.Store.ReadAllRecordFailuresAsync(Job)).Select(f => f.RecordId));
    }

    [Fact]
    public async Task Quarantined_records_count_toward_MaxItemsToSkip()
    {
        var sut = CreateSut(new ScriptedErp(), options: new JobOptions { BatchSize = 1, MaxItemsToSkip = 1 });
        sut.Offer(new Order("SO1"));
        sut.Enqueue("SO2", "{"u8.ToArray());
        sut.Enqueue("SO3", "{"u8.ToArray());
        sut.Offer(Enumerable.Range(4, 20).Select(i => new Order($"SO{i}")).ToArray());

        var result = await sut.RunAsync();

        Assert.Equal(JobOutcome.Failed, result.Outcome);
        Assert.Contains("more than MaxItemsToSkip (1)", result.Error);
        Assert.Equal(2, result.Counts.Failed);
        Assert.Equal(result.Counts.Read, result.Counts.Delivered + result.Counts.Skipped + result.Counts.Failed);
    }

    [Fact]
    public async Task A_run_ended_by_a_throwing_status_sink_keeps_its_counts_and_releases_its_leases_at_once()
    {
        var sink = new ThrowingSink(throwOnReport: 2);
        var sut = CreateSut(new ScriptedErp(), sink, new JobOptions { BatchSize = 2 });
        sut.Offer(Enumerable.Range(1, 10).Select(i => new Order($"SO{i:D2}")).ToArray());

        var failed = await sut.RunAsync();

        Assert.Equal(JobOutcome.Failed, failed.Outcome);
        Assert.Equal("InvalidOperationException: status table locked", failed.Error);
        Assert.Equal(new RecordCounts(4, 4, 0, 0), failed.Counts);
        Assert.Contains(sut.LastLog, e => e.Level == JobLogLevel.Error && e.Message.Contains("status table locked", StringComparison.Ordinal) && e.Message.Contains(" at ", StringComparison.Ordinal));

        // The clock has not moved: the next run takes the untouched records over without waiting out the lease.
        var next = await sut.RunAsync();
        Assert.Equal(new RecordCounts(6, 6, 0, 0), next.Counts);
        Assert.Equal(0, await sut.Store.CountPendingRecordsAsync(Job, CancellationToken.None));
        Assert.All(sut.Erp.Delivered.Values, count => Assert.Equal(1, count));
    }

    [Fact]
    public async Task A_cancelled_run_returns_its_counts_and_releases_untouched_records_without_counting_an_attempt()
    {
        using var cancel = new CancellationTokenSource();
        var erp = new BlockingErp(blockOnCall: 3, onBlocked: cancel.Cancel, honourCancellation: true);
        var sut = CreateSut(erp, options: new JobOptions { BatchSize = 2 });
        sut.Offer(Enumerable.Range(1, 10).Select(i => new Order($"SO{i:D2}")).ToArray());

        var result = await sut.RunAsync(cancellationToken: cancel.Token);

        Assert.Equal(JobOutcome.Cancelled, result.Outcome);
        Assert.Equal(4, result.Counts.Delivered);
        Assert.Equal(0, result.Counts.Failed);

        var now = sut.Time.GetUtcNow();
        var released = await sut.Store.ClaimRecordsAsync(Job, new RecordClaim("other-host", 100, now, now.AddMinutes(5)), CancellationToken.None);
        Assert.Equal(Enumerable.Range(5, 6).Select(i => $"SO{i:D2}"), released.Select(r => r.RecordId));
        Assert.All(released, r => Assert.Equal((0, null), (r.Attempts, r.LastError)));
        Assert.Empty(await sut.Store.ReadAllRecordFailuresAsync(Job));
    }

    [Fact]
    public async Task An_abandoned_run_that_has_not_returned_keeps_its_leases_until_it_returns()
    {
        using var cancel = new CancellationTokenSource();
        var erp = new BlockingErp(blockOnCall: 1, onBlocked: cancel.Cancel, honourCancellation: false);
        var sut = CreateSut(erp, options: new JobOptions { BatchSize = 2 });
        sut.Offer(Enumerable.Range(1, 4).Select(i => new Order($"SO{i}")).ToArray());

        var run = sut.RunAsync(cancellationToken: cancel.Token);
        await erp.Blocked.WaitAsync(Patience);

        // Cancelled, but its target is still delivering: nobody else may take its records.
        var now = sut.Time.GetUtcNow();
        Assert.Empty(await sut.Store.ClaimRecordsAsync(Job, new RecordClaim("other-host", 100, now, now.AddMinutes(5)), CancellationToken.None));

        erp.Release.TrySetResult();
        var result = await run;
        Assert.Equal(JobOutcome.Cancelled, result.Outcome);
        Assert.Equal(2, result.Counts.Delivered);
        var released = await sut.Store.ClaimRecordsAsync(Job, new RecordClaim("other-host", 100, now, now.AddMinutes(5)), CancellationToken.None);
        Assert.Equal(["SO3", "SO4"], released.Select(r => r.RecordId));
    }

    private static Sut CreateSut(IDeliveryTarget<Order> erp, IRecordStatusSink<Order>? sink = null, JobOptions? options = null)
    {
        options ??= new JobOptions();
        options.RetryWindow.MaxRetries = 0;
        var store = new InMemoryJobStore();
        var time = new FakeTimeProvider(TestEngine.Start);
        var engine = new CommerceJobsOptions();
        var identity = new EngineIdentity(Options.Create(engine));
        var services = new ServiceCollection()
            .AddSingleton<IJobStore>(store)
            .AddSingleton<IRecordStore>(store)
            .AddSingleton<TimeProvider>(time)
            .BuildServiceProvider();
        Func<Order, string> recordId = o => o.RecordId;
        var definition = new RecordJobDefinition<Order>(Job)
        {
            Inbox = true,
            Source = _ => new InboxSource<Order>(Job, Math.Clamp(options.BatchSize * 2, 100, 10_000), recordId, store, identity, time),
            Target = _ => erp,
            Sink = sink is null ? null : _ => sink,
        };
        return new Sut((RecordJobExecutor<Order>)definition.CreateExecutor(services, options), services, time, store, engine, identity, erp as ScriptedErp);
    }

    private sealed class Sut(RecordJobExecutor<Order> executor, IServiceProvider services, FakeTimeProvider time, InMemoryJobStore store, CommerceJobsOptions engine, EngineIdentity identity, ScriptedErp? erp)
    {
        public CommerceJobsOptions Engine => engine;

        public FakeTimeProvider Time => time;

        public InMemoryJobStore Store => store;

        public ScriptedErp Erp => erp!;

        public IReadOnlyList<JobLogEntry> LastLog { get; private set; } = [];

        public void Offer(params Order[] orders) => store.EnqueueRecordsAsync(
            Job,
            [.. orders.Select(o => new PendingRecord(o.Number, $"{Job}:{o.Number}", JsonSerializer.SerializeToUtf8Bytes(o, identity.SerializerOptions)))],
            CancellationToken.None).AsTask().GetAwaiter().GetResult();

        public void Enqueue(string id, byte[] payload)
            => store.EnqueueRecordsAsync(Job, [new PendingRecord(id, $"{Job}:{id}", payload)], CancellationToken.None).AsTask().GetAwaiter().GetResult();

        public async Task<JobResult> RunAsync(TriggerKind trigger = TriggerKind.Automatic, CancellationToken cancellationToken = default)
        {
            var context = new JobContext(Job, Guid.NewGuid(), trigger, null, services, time);
            try
            {
                return await executor.ExecuteAsync(context, cancellationToken).AsTask().WaitAsync(Patience);
            }
            finally
            {
                LastLog = context.LogEntries;
            }
        }
    }

    /// <summary>Reads an order number stored by an older deploy as a number (2) as the string it is now ("SO2").</summary>
    private sealed class OldOrderNumberConverter : System.Text.Json.Serialization.JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
            => reader.TokenType == JsonTokenType.Number ? $"SO{reader.GetInt64()}" : reader.GetString();

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    private sealed class ThrowingSink(int throwOnReport) : IRecordStatusSink<Order>
    {
        private int _reports;

        public ValueTask ReportAsync(string jobName, ReadOnlyMemory<Order> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken)
            => Interlocked.Increment(ref _reports) == throwOnReport
                ? throw new InvalidOperationException("status table locked")
                : ValueTask.CompletedTask;
    }

    /// <summary>Delivers, except that call number <c>blockOnCall</c> signals, calls <c>onBlocked</c>, and waits for a release (or the token).</summary>
    private sealed class BlockingErp(int blockOnCall, Action onBlocked, bool honourCancellation) : IDeliveryTarget<Order>
    {
        private int _calls;

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Blocked => _blocked.Task;

        private readonly TaskCompletionSource _blocked = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Order> batch, CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) != blockOnCall)
            {
                return DeliveryResult.Delivered;
            }

            _blocked.TrySetResult();
            onBlocked();
            await (honourCancellation ? Release.Task.WaitAsync(cancellationToken) : Release.Task);
            return DeliveryResult.Delivered;
        }
    }
}
