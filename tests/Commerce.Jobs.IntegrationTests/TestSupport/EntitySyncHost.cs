using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Commerce.Jobs.IntegrationTests.TestSupport;

/// <summary>
/// One host of an entity-sync test on the PostgreSQL store, built from the public surface only (AddCommerceJobs bound to a
/// configuration section, UsePostgreSqlStore, AddTarget, AddEntitySync) on the real clock: its own data source and
/// connections, short leases and a short poll interval, one entity type delivered to the shared recording target.
/// </summary>
internal sealed class EntitySyncHost : IAsyncDisposable
{
    /// <summary>How long a host holds the changes it claimed: short, so that a dead host's changes are taken over soon.</summary>
    public static readonly TimeSpan LeaseDuration = TimeSpan.FromSeconds(3);

    /// <summary>How often a host looks in the store for changes published elsewhere (<c>CommerceJobs:EntitySync:{type}:PollInterval</c>).</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);

    private readonly ServiceProvider _services;
    private readonly IHostedService[] _hosted;
    private int _gone;

    private EntitySyncHost(string name, ServiceProvider services)
    {
        Name = name;
        _services = services;
        _hosted = [.. services.GetServices<IHostedService>()];
    }

    public string Name { get; }

    public IEntitySync Sync => _services.GetRequiredService<IEntitySync>();

    public static async Task<EntitySyncHost> StartAsync(
        string name, string connectionString, string schema, string entityType, EntitySyncRecorder recorder, IEntitySource? source = null, int batchSize = 5)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"CommerceJobs:EntitySync:{entityType}:PollInterval"] = PollInterval.ToString("c", CultureInfo.InvariantCulture),
        }).Build();
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddCommerceJobs(configuration.GetSection("CommerceJobs"), jobs =>
        {
            jobs.UsePostgreSqlStore(connectionString, o => o.Schema = schema);
            jobs.Configure(o =>
            {
                o.HostName = name;
                o.LeaseDuration = LeaseDuration;
                o.ControlRefreshInterval = TimeSpan.FromSeconds(1);
                o.ShutdownTimeout = TimeSpan.FromSeconds(10);
            });
            jobs.AddTarget(recorder.TargetName, _ => recorder.For(name));
            var sync = jobs.AddEntitySync(entityType).DeliverTo(recorder.TargetName).Batch(size: batchSize).RetryWithin(maxRetries: 1, window: TimeSpan.FromSeconds(1));
            if (source is not null)
            {
                sync.ReadFrom(source);
            }
        });

        var host = new EntitySyncHost(name, collection.BuildServiceProvider());
        foreach (var hosted in host._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return host;
    }

    /// <summary>Stops the host as an orderly shutdown does (deliveries in progress finish), then disposes it.</summary>
    public async ValueTask StopAsync()
    {
        if (Interlocked.Exchange(ref _gone, 1) == 1)
        {
            return;
        }

        using var timeout = new CancellationTokenSource(Wait.Patience);
        foreach (var hosted in _hosted.Reverse())
        {
            await hosted.StopAsync(timeout.Token);
        }

        await _services.DisposeAsync();
    }

    /// <summary>Disposes the host without stopping it first, as a host torn down in the middle of its work.</summary>
    public async ValueTask AbandonAsync()
    {
        if (Interlocked.Exchange(ref _gone, 1) == 0)
        {
            await _services.DisposeAsync();
        }
    }

    public ValueTask DisposeAsync() => StopAsync();

    /// <summary>Gets whether every target of the type has nothing pending, no full sync running and no pause, on this host.</summary>
    public bool IsDrained(string entityType) => Sync.GetStatus(entityType).All(s => s.PendingCount == 0 && !s.FullSyncRunning && s.PausedSince is null);

    public string DescribeStatus(string entityType) => $"{Name}: " + string.Join("; ", Sync.GetStatus(entityType).Select(s =>
        $"{s.TargetName} pending {s.PendingCount}, full sync {s.FullSyncRunning}, paused since {s.PausedSince?.ToString("O", CultureInfo.InvariantCulture) ?? "-"}, "
        + $"delivered {s.DeliveredCount}, skipped {s.SkippedCount}, failed {s.FailedCount}, last error {s.LastError ?? "-"}"));
}
