using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>Run-time job definitions kept in one SQLite file: two hosts on it take up each other's change at the refresh, a restart keeps it, a reset reaches both.</summary>
public sealed class SqliteJobDefinitionTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task Two_hosts_on_one_file_share_a_change_a_restart_keeps_it_and_a_reset_reaches_both()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 5, 8, 0, 0, TimeSpan.Zero));
        using var a = CreateHost(time);
        using var b = CreateHost(time);
        await a.StartAsync();
        await b.StartAsync();
        var onA = a.Services.GetRequiredService<IJobDefinitions>();
        var onB = b.Services.GetRequiredService<IJobDefinitions>();

        await onA.UpdateAsync("order-export", new Dictionary<string, string?> { [JobDefinitionFields.BatchSize] = "500", [JobDefinitionFields.Interval] = "00:05:00" }, null, "alice", default);
        await RefreshUntilAsync(time, () => onB.Get("order-export")[JobDefinitionFields.BatchSize].Value == "500");
        Assert.Equal(JobDefinitionSource.Override, onB.Get("order-export")[JobDefinitionFields.Interval].Source);
        Assert.Equal("alice", onB.Get("order-export").ChangedBy);
        Assert.Equal(onA.Get("order-export").Version, onB.Get("order-export").Version);
        await b.StopAsync();

        using (var restarted = CreateHost(time))
        {
            await restarted.StartAsync();
            Assert.Equal("500", restarted.Services.GetRequiredService<IJobDefinitions>().Get("order-export")[JobDefinitionFields.BatchSize].Value);
            time.Advance(TimeSpan.FromSeconds(1));
            await restarted.Services.GetRequiredService<IJobDefinitions>().ResetAsync("order-export", null, "bob", default);
            await restarted.StopAsync();
        }

        await RefreshUntilAsync(time, () => onA.Get("order-export")[JobDefinitionFields.BatchSize].Value == "100");
        Assert.DoesNotContain(onA.Get("order-export").Fields, f => f.Source == JobDefinitionSource.Override);
        Assert.Equal("bob", onA.Get("order-export").ChangedBy);
        await a.StopAsync();
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
            jobs.AddJob("order-export", static (_, _) => ValueTask.FromResult(JobResult.Success)).Schedule(Schedule.Every(TimeSpan.FromHours(1)));
        });
        return builder.Build();
    }
}
