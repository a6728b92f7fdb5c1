using System.Collections.Concurrent;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

public sealed class SqliteCommerceJobsBuilderExtensionsTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task UseSqliteStore_keeps_an_inbox_job_in_the_file_and_delivers_from_it()
    {
        var erp = new RecordingTarget(expected: 3);
        using (var host = CreateHost(jobs => jobs.UseSqliteStore(_database.ConnectionString, o => o.BusyTimeout = TimeSpan.FromSeconds(5))
            .AddRecordJob<Order>("order-submit").ReadFromInbox().DeliverTo(erp).Schedule(Schedule.Automatic())))
        {
            await host.StartAsync();
            var store = host.Services.GetRequiredService<IJobStore>();
            Assert.Equal(_database.Path, Assert.IsType<SqliteJobStore>(store).DataSource);

            await host.Services.GetRequiredService<IRecordInbox>().OfferAsync("order-submit", [new Order("SO1"), new Order("SO2"), new Order("SO3")], default);
            await erp.AllDelivered.WaitAsync(TimeSpan.FromSeconds(30));
            await WaitUntilAsync(async () => await store.CountPendingRecordsAsync("order-submit", default) == 0);
            await WaitUntilAsync(async () => (await store.GetRunsAsync("order-submit", 10, default)).Count > 0);
            await host.StopAsync();
        }

        Assert.Equal(["order-submit:SO1", "order-submit:SO2", "order-submit:SO3"], erp.Keys.Order());

        // The history is in the file: a new store on it sees the run.
        using var reopened = _database.Open();
        var run = (await reopened.GetRunsAsync("order-submit", 10, default))[^1];
        Assert.Equal(3, run.Counts.Delivered);
    }

    [Fact]
    public async Task A_restart_keeps_what_an_operator_paused_and_disabled()
    {
        static void Jobs(CommerceJobsBuilder jobs, string file)
        {
            jobs.UseSqliteStore(file);
            jobs.AddJob("order-export", static (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.Every(TimeSpan.FromHours(1)));
            jobs.AddJob("product-refresh", static (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.Every(TimeSpan.FromHours(1)));
            jobs.AddJob("nightly", static (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.DailyAt(new TimeOnly(2, 0)));
        }

        using (var first = CreateHost(jobs => Jobs(jobs, _database.ConnectionString)))
        {
            await first.StartAsync();
            var control = first.Services.GetRequiredService<IJobControl>();
            control.Pause("order-export");
            control.Disable("PRODUCT-REFRESH");
            control.Disable("nightly");
            control.Enable("nightly");
            await first.StopAsync();
        }

        using var second = CreateHost(jobs => Jobs(jobs, _database.ConnectionString));
        await second.StartAsync();
        var monitor = second.Services.GetRequiredService<IJobMonitor>();
        Assert.Equal(JobState.Paused, monitor.GetStatus("order-export").State);
        Assert.Equal(JobState.Disabled, monitor.GetStatus("product-refresh").State);
        Assert.Null(monitor.GetStatus("product-refresh").NextFireTime);
        Assert.Equal(JobState.Idle, monitor.GetStatus("nightly").State);
        Assert.Throws<InvalidOperationException>(() => second.Services.GetRequiredService<IJobTrigger>().Trigger("product-refresh"));

        second.Services.GetRequiredService<IJobControl>().Resume("order-export");
        await second.StopAsync();
        using var reopened = _database.Open();
        Assert.Equal("false", Assert.Single(Assert.Single(await reopened.GetAsync(OperatorStateKinds.Job, default), c => c.Name == "order-export").Fields, f => f.Name == "paused").Value);
    }

    [Fact]
    public async Task Invalid_settings_fail_at_start_up_naming_the_setting()
    {
        Assert.Throws<ArgumentException>(() => CreateHost(jobs => jobs.UseSqliteStore(" ")));

        using var host = CreateHost(jobs => jobs.UseSqliteStore(_database.ConnectionString, o => o.BusyTimeout = TimeSpan.FromSeconds(-1)));
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("BusyTimeout", ex.Message);
    }

    public void Dispose() => _database.Dispose();

    private static IHost CreateHost(Action<CommerceJobsBuilder> configure)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddCommerceJobs(configure);
        return builder.Build();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = Environment.TickCount64 + 30_000;
        while (!await condition())
        {
            Assert.True(Environment.TickCount64 < deadline, "The condition did not hold within 30 s.");
            await Task.Yield();
        }
    }

    public sealed record Order(string Number) : IRecord
    {
        public string RecordId => Number;
    }

    private sealed class RecordingTarget(int expected) : IDeliveryTarget<Order>
    {
        private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ConcurrentQueue<string> Keys { get; } = new();

        public Task AllDelivered => _all.Task;

        public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Order> batch, CancellationToken cancellationToken)
        {
            for (var i = 0; i < batch.Count; i++)
            {
                Keys.Enqueue(batch.GetIdempotencyKey(i));
            }

            if (Keys.Count >= expected)
            {
                _all.TrySetResult();
            }

            return ValueTask.FromResult(DeliveryResult.Delivered);
        }
    }
}
