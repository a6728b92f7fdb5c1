using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>An entity type's delivery settings changed at run time, kept in one SQLite file: another host takes them up at the refresh, a restart keeps and uses them.</summary>
public sealed class SqliteEntitySyncSettingsTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task A_setting_put_on_one_host_reaches_another_and_a_restart_delivers_with_it()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 8, 0, 0, TimeSpan.Zero));
        var changed = new EntitySyncConfiguration { EntityType = "categories", Targets = ["search"], BatchSize = 7, RetryWindow = TimeSpan.FromMinutes(2) };
        using (var a = CreateHost(time, new SizeTarget()))
        using (var b = CreateHost(time, new SizeTarget()))
        {
            await a.StartAsync();
            await b.StartAsync();
            var onA = a.Services.GetRequiredService<IEntitySync>();
            var onB = b.Services.GetRequiredService<IEntitySync>();

            await onA.PutConfigurationAsync((await onA.GetConfigurationAsync("categories", default))! with { BatchSize = 7, RetryWindow = TimeSpan.FromMinutes(2) }, default);
            for (var i = 0; await onB.GetConfigurationAsync("categories", default) != changed; i++)
            {
                Assert.True(i < 6000, "The change did not reach the other host.");
                time.Advance(TimeSpan.FromSeconds(30));
                await Task.Delay(5);
            }

            await b.StopAsync();
            await a.StopAsync();
        }

        var target = new SizeTarget();
        using var restarted = CreateHost(time, target);
        await restarted.StartAsync();
        var sync = restarted.Services.GetRequiredService<IEntitySync>();
        Assert.Equal(changed, await sync.GetConfigurationAsync("categories", default));

        await sync.PublishAsync([.. Enumerable.Range(0, 10).Select(i => EntityChange.Upsert("categories", $"c-{i}", null, 1))], default);
        await target.Delivered(10).WaitAsync(Patience);
        Assert.Equal([7, 3], target.Sizes);

        await sync.PutConfigurationAsync(changed with { BatchSize = null, RetryWindow = null }, default);
        Assert.Equal(changed with { BatchSize = null, RetryWindow = null }, await sync.GetConfigurationAsync("categories", default));
        await restarted.StopAsync();
    }

    public void Dispose() => _database.Dispose();

    private IHost CreateHost(TimeProvider time, SizeTarget target)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(time);
        builder.Services.AddCommerceJobs(jobs =>
        {
            jobs.UseSqliteStore(_database.ConnectionString, o => o.BusyTimeout = TimeSpan.FromSeconds(5));
            jobs.AddTarget(target);
            jobs.AddEntitySync("categories").DeliverTo("search").Batch(size: 100);
        });
        return builder.Build();
    }

    /// <summary>A target named "search" that delivers every change and keeps the size of each call.</summary>
    private sealed class SizeTarget : IDeliveryTarget
    {
        private readonly ConcurrentQueue<int> _sizes = new();
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _count, _expected = int.MaxValue;

        public string Name => "search";

        public int[] Sizes => [.. _sizes];

        /// <summary>Completes once <paramref name="count"/> changes were delivered in all.</summary>
        public Task Delivered(int count)
        {
            Volatile.Write(ref _expected, count);
            if (Volatile.Read(ref _count) >= count)
            {
                _reached.TrySetResult();
            }

            return _reached.Task;
        }

        public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
        {
            _sizes.Enqueue(batch.Count);
            if (Interlocked.Add(ref _count, batch.Count) >= Volatile.Read(ref _expected))
            {
                _reached.TrySetResult();
            }

            return ValueTask.FromResult(DeliveryResult.Delivered);
        }
    }
}
