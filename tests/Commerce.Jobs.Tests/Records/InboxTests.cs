using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.Records;

public sealed class InboxTests
{
    private const string Job = "order-submit";

    [Fact]
    public async Task Offered_records_are_stored_then_delivered_and_leave_the_store()
    {
        var erp = new ScriptedErp();
        var keys = new List<string>();
        erp.Respond = b =>
        {
            keys.AddRange(Enumerable.Range(0, b.Count).Select(b.GetIdempotencyKey));
            return DeliveryResult.Delivered;
        };
        await using var sut = TestEngine.Create(jobs => jobs.AddRecordJob<Order>(Job).ReadFromInbox().DeliverTo(erp).Schedule(Schedule.Automatic()));
        var inbox = sut.Services.GetRequiredService<IRecordInbox>();
        var store = sut.Services.GetRequiredService<IJobStore>();

        await inbox.OfferAsync(Job, [new Order("SO1"), new Order("SO2")], CancellationToken.None);
        await sut.WaitForAsync(_ => erp.Delivered.Count == 2);
        await sut.WaitForRunsAsync(Job, 1);

        Assert.Equal(["order-submit:SO1", "order-submit:SO2"], keys);
        Assert.Equal(0, await store.CountPendingRecordsAsync(Job, CancellationToken.None));
    }

    [Fact]
    public async Task Offered_records_are_stored_with_the_safe_idempotency_key_that_targets_get()
    {
        var erp = new ScriptedErp();
        await using var sut = TestEngine.Create(jobs => jobs.AddRecordJob<Order>(Job).ReadFromInbox().DeliverTo(erp).Schedule(Schedule.Manual()));
        var inbox = sut.Services.GetRequiredService<IRecordInbox>();
        var store = sut.Services.GetRequiredService<IJobStore>();
        string[] ids = ["SO1\r\nX-Injected: 1", "Bestellung-Müller-1", "100%", new string('9', 5_000)];

        await inbox.OfferAsync(Job, ids.Select(id => new Order(id)), CancellationToken.None);
        var pending = await store.ClaimRecordsAsync(Job, new RecordClaim("probe", 10, TestEngine.Start, TestEngine.Start), CancellationToken.None);

        Assert.Equal(ids.Select(id => IdempotencyKey.Create(Job, id)), pending.Select(p => p.IdempotencyKey));
        Assert.Equal("order-submit:SO1%0D%0AX-Injected:%201", pending[0].IdempotencyKey);
        Assert.All(pending, p => Assert.True(p.IdempotencyKey.All(c => c is >= '!' and <= '~') && p.IdempotencyKey.Length <= IdempotencyKey.MaxLength, p.IdempotencyKey));
    }

    [Fact]
    public async Task Skipped_records_stay_in_the_inbox_with_their_error_and_go_out_on_a_later_run()
    {
        var down = true;
        var erp = new ScriptedErp(b => down ? DeliveryResult.TransientFailure("ERP busy") : DeliveryResult.Delivered);
        await using var sut = TestEngine.Create(jobs => jobs.AddRecordJob<Order>(Job).ReadFromInbox().DeliverTo(erp)
            .Schedule(Schedule.Automatic()).RetryWithin(maxRetries: 0, window: TimeSpan.FromMinutes(1)));
        var inbox = sut.Services.GetRequiredService<IRecordInbox>();
        var store = sut.Services.GetRequiredService<IJobStore>();

        await inbox.OfferAsync(Job, [new Order("SO1")], CancellationToken.None);
        await sut.WaitForRunsAsync(Job, 1);
        Assert.Equal(new RecordCounts(1, 0, 1, 0), sut.Runs.Single().Counts);
        var pending = Assert.Single(await store.ClaimRecordsAsync(Job, new RecordClaim("probe", 10, TestEngine.Start, TestEngine.Start), CancellationToken.None));
        Assert.Equal((1, "ERP busy"), (pending.Attempts, pending.LastError));

        down = false;
        sut.Engine.Signal(Job);
        await sut.WaitForRunsAsync(Job, 2);
        Assert.Equal(1, erp.DeliveredCount("SO1"));
        Assert.Equal(0, await store.CountPendingRecordsAsync(Job, CancellationToken.None));
    }

    [Fact]
    public async Task Resubmit_re_offers_records_that_failed_permanently()
    {
        var invalid = true;
        var erp = new ScriptedErp(_ => invalid ? DeliveryResult.PermanentFailure("unknown customer") : DeliveryResult.Delivered);
        await using var sut = TestEngine.Create(jobs => jobs.AddRecordJob<Order>(Job).ReadFromInbox().DeliverTo(erp).Schedule(Schedule.Automatic()));
        var inbox = sut.Services.GetRequiredService<IRecordInbox>();

        await inbox.OfferAsync(Job, [new Order("SO1")], CancellationToken.None);
        await sut.WaitForRunsAsync(Job, 1);
        sut.Engine.Signal(Job);
        await sut.WaitForRunsAsync(Job, 2);
        Assert.Equal(0, sut.Runs.Last().Counts.Read);

        invalid = false;
        sut.Engine.Resubmit(Job);
        await sut.WaitForRunsAsync(Job, 3);
        Assert.Equal(1, erp.DeliveredCount("SO1"));
    }

    [Fact]
    public async Task Offering_to_a_job_without_an_inbox_is_refused()
    {
        var cart = new Cart();
        await using var sut = TestEngine.Create(jobs => jobs.AddRecordJob<Order>(Job).ReadFrom(cart).DeliverTo(new ScriptedErp()));
        var inbox = sut.Services.GetRequiredService<IRecordInbox>();

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => inbox.OfferAsync(Job, [new Order("SO1")], CancellationToken.None).AsTask());
        Assert.Contains("'order-submit'", ex.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => inbox.OfferAsync("nope", [new Order("SO1")], CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task Two_hosts_sharing_a_store_run_each_scheduled_occurrence_once()
    {
        var store = new InMemoryJobStore();
        var time = new FakeTimeProvider(TestEngine.Start);
        var runs = 0;
        void Configure(CommerceJobsBuilder jobs) => jobs.AddJob("product-refresh", (_, _) =>
        {
            Interlocked.Increment(ref runs);
            return ValueTask.FromResult(JobResult.Success);
        }).Schedule(Schedule.Every(TimeSpan.FromMinutes(10)));

        await using var hostA = TestEngine.Create(Configure, time, s => s.AddSingleton<IJobStore>(store));
        await using var hostB = TestEngine.Create(Configure, time, s => s.AddSingleton<IJobStore>(store));

        for (var i = 1; i <= 6; i++)
        {
            // Both schedulers have armed their timers for the next fire before the clock moves on (see TestEngine.SettledAsync).
            await hostA.SettledAsync();
            await hostB.SettledAsync();
            time.Advance(TimeSpan.FromMinutes(10));
            await Task.WhenAny(hostA.WaitForRunsAsync("product-refresh", 1), hostB.WaitForRunsAsync("product-refresh", 1));
            var expected = i;
            await WaitForAsync(() => hostA.Runs.Count + hostB.Runs.Count == expected);
        }

        Assert.Equal(6, Volatile.Read(ref runs));
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = Environment.TickCount64 + 30_000;
        while (!condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "The condition did not hold within 30 s.");
            await Task.Yield();
        }
    }
}
