using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>A delivery target's run-time health settings kept in one SQLite file: a restart keeps them, another host takes them up at the refresh, a reset reaches both.</summary>
public sealed class SqliteTargetDefinitionTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task A_restart_keeps_a_target_override_another_host_takes_it_up_and_a_reset_reaches_both()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 8, 0, 0, TimeSpan.Zero));
        using (var first = CreateHost(time))
        {
            await first.StartAsync();
            var changed = await first.Services.GetRequiredService<IJobDefinitions>().UpdateTargetAsync(
                "erp",
                new Dictionary<string, string?> { [TargetDefinitionFields.FailureRatio] = "0.5", [TargetDefinitionFields.BreakDuration] = "00:05:00" },
                null,
                "alice",
                default);
            Assert.Equal(JobDefinitionSource.Override, changed[TargetDefinitionFields.FailureRatio].Source);
            await first.StopAsync();
        }

        using var a = CreateHost(time);
        using var b = CreateHost(time);
        await a.StartAsync();
        await b.StartAsync();
        var onA = a.Services.GetRequiredService<IJobDefinitions>();
        var onB = b.Services.GetRequiredService<IJobDefinitions>();
        var restored = onA.GetTarget("erp");
        Assert.Equal(("0.5", JobDefinitionSource.Override, "0.1"), (restored[TargetDefinitionFields.FailureRatio].Value, restored[TargetDefinitionFields.FailureRatio].Source, restored[TargetDefinitionFields.FailureRatio].DeclaredValue));
        Assert.Equal(("00:05:00", JobDefinitionSource.Override, "00:01:00"), (restored[TargetDefinitionFields.BreakDuration].Value, restored[TargetDefinitionFields.BreakDuration].Source, restored[TargetDefinitionFields.BreakDuration].DeclaredValue));
        Assert.Equal("alice", restored.ChangedBy);
        Assert.Equal(restored.Version, onB.GetTarget("erp").Version);

        time.Advance(TimeSpan.FromSeconds(1));
        await onB.UpdateTargetAsync("erp", new Dictionary<string, string?> { [TargetDefinitionFields.MinimumThroughput] = "25" }, null, "bob", default);
        await RefreshUntilAsync(time, () => onA.GetTarget("erp")[TargetDefinitionFields.MinimumThroughput].Value == "25");
        Assert.Equal("0.5", onA.GetTarget("erp")[TargetDefinitionFields.FailureRatio].Value);

        time.Advance(TimeSpan.FromSeconds(1));
        await onA.ResetTargetAsync("erp", null, "carol", default);
        await RefreshUntilAsync(time, () => onB.GetTarget("erp")[TargetDefinitionFields.MinimumThroughput].Value == "10");
        Assert.DoesNotContain(onB.GetTarget("erp").Fields, f => f.Source == JobDefinitionSource.Override);
        Assert.Equal("carol", onB.GetTarget("erp").ChangedBy);
        await a.StopAsync();
        await b.StopAsync();
    }

    public void Dispose() => _database.Dispose();

    /// <summary>Advances the shared clock by the refresh interval until <paramref name="condition"/> holds (bounded).</summary>
    private static async Task RefreshUntilAsync(FakeTimeProvider time, Func<bool> condition)
    {
        for (var i = 0; !condition(); i++)
        {
            Assert.True(i < 6000, "The change did not reach the other host.");
            time.Advance(TimeSpan.FromSeconds(30));
            await Task.Delay(5);
        }
    }

    private IHost CreateHost(TimeProvider time)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(time);
        builder.Services.AddCommerceJobs(jobs =>
        {
            jobs.UseSqliteStore(_database.ConnectionString, o => o.BusyTimeout = TimeSpan.FromSeconds(5));
            jobs.AddTarget(new Erp());
            jobs.ConfigureTarget("erp", t => t.BreakDuration = TimeSpan.FromMinutes(1));
        });
        return builder.Build();
    }

    private sealed class Erp : IDeliveryTarget
    {
        public string Name => "erp";

        public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken) => ValueTask.FromResult(DeliveryResult.Delivered);
    }
}
