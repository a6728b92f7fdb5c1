using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.CrashHost;

/// <summary>
/// The PostgreSQL entity-sync crash test's child: publishes <c>rounds</c> versions of <c>ids</c> entities (the last round
/// deletes every third one) to a type delivered to an <see cref="EntityFileTarget"/>, prints <c>published</c>, then delivers
/// until it is killed (or its standard input closes). The test kills it with SIGKILL in the middle of its deliveries while
/// a host of its own delivers beside it on the same schema, and finishes after it.
/// </summary>
public static class EntitySyncCrashMode
{
    /// <summary>The first argument that selects this mode.</summary>
    public const string Mode = "entity-sync-pg";

    public const string EntityType = "crash-items";

    public const string TargetName = "file";

    public static async Task<int> RunAsync(string[] args)
    {
        // Usage: Commerce.Jobs.CrashHost entity-sync-pg <connection string> <schema> <output file> <ids> <rounds> <target latency per batch, ms>
        if (args.Length != 7
            || !int.TryParse(args[4], NumberStyles.None, CultureInfo.InvariantCulture, out var ids)
            || !int.TryParse(args[5], NumberStyles.None, CultureInfo.InvariantCulture, out var rounds)
            || !int.TryParse(args[6], NumberStyles.None, CultureInfo.InvariantCulture, out var latencyMs))
        {
            Console.Error.WriteLine($"usage: Commerce.Jobs.CrashHost {Mode} <connection string> <schema> <output file> <ids> <rounds> <target latency per batch, ms>");
            return 2;
        }

        var (connectionString, schema, output) = (args[1], args[2], args[3]);
        using var target = new EntityFileTarget(TargetName, output, TimeSpan.FromMilliseconds(latencyMs));
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // PollInterval is bound from configuration: an engine without the setting ignores it.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { [$"CommerceJobs:EntitySync:{EntityType}:PollInterval"] = "00:00:00.250" });
        builder.Services.AddCommerceJobs(builder.Configuration.GetSection("CommerceJobs"), jobs =>
        {
            jobs.UsePostgreSqlStore(connectionString, o => o.Schema = schema);
            jobs.Configure(o =>
            {
                o.HostName = "crash-child";
                o.LeaseDuration = TimeSpan.FromSeconds(3);
            });
            jobs.AddTarget(target);
            jobs.AddEntitySync(EntityType).DeliverTo(TargetName).Batch(size: 5).RetryWithin(maxRetries: 1, window: TimeSpan.FromSeconds(1));
        });

        using var host = builder.Build();
        await host.StartAsync();
        var sync = host.Services.GetRequiredService<IEntitySync>();
        for (var round = 1; round <= rounds; round++)
        {
            await sync.PublishAsync(Round(ids, rounds, round), default);
        }

        Console.WriteLine("published");

        // Delivers until killed, or until its standard input closes (the test that started it is gone).
        await Console.In.ReadToEndAsync();
        await host.StopAsync();
        return 0;
    }

    /// <summary>Round <paramref name="round"/> of the changes: version <paramref name="round"/> of every entity, the last round deleting every third one.</summary>
    public static List<EntityChange> Round(int ids, int rounds, int round) => [.. Enumerable.Range(0, ids).Select(i => round == rounds && i % 3 == 0
        ? EntityChange.Delete(EntityType, Id(i), round)
        : EntityChange.Upsert(EntityType, Id(i), new { version = round, origin = "publish" }, round))];

    /// <summary>The id of entity <paramref name="i"/>: not only ASCII.</summary>
    public static string Id(int i) => string.Create(CultureInfo.InvariantCulture, $"crash-{i}-é");
}
