using Commerce.Jobs.EntitySync;
using Commerce.Jobs.History;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>Entity synchronization on a fake clock over recording targets, started, with a way to wait until the targets have what they can get.</summary>
internal sealed class EntitySyncSut : IAsyncDisposable
{
    public const string Categories = "categories";
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 8, 0, 0, TimeSpan.Zero);
    private EntitySyncSut(ServiceProvider services, FakeTimeProvider time, RecordingTarget[] targets, TestObserver observer)
    {
        Observer = observer;
        Services = services;
        Time = time;
        Targets = targets;
        Sync = services.GetRequiredService<EntitySyncService>();
        Store = services.GetRequiredService<IJobStore>();
        Engine = services.GetRequiredService<JobEngine>();
    }

    /// <summary>Gets the engine: it runs the one operator-state refresh (started only when asked).</summary>
    public JobEngine Engine { get; }

    public ServiceProvider Services { get; }

    public FakeTimeProvider Time { get; }

    public EntitySyncService Sync { get; }

    public IJobStore Store { get; }

    public RecordingTarget[] Targets { get; }

    /// <summary>Gets the observer registered in <see cref="Services"/>: the lanes started and when they went idle, the delivery attempts.</summary>
    public TestObserver Observer { get; }

    public RecordingTarget Search => Targets[0];

    public RecordingTarget Erp => Targets[1];

    /// <summary>Creates a sync of <see cref="Categories"/> to "search" and "erp" (or what <paramref name="configure"/> declares), and starts it.</summary>
    public static async Task<EntitySyncSut> CreateAsync(
        Action<EntitySyncBuilder>? sync = null,
        Action<CommerceJobsBuilder>? configure = null,
        FakeTimeProvider? time = null,
        IJobStore? store = null,
        RecordingTarget[]? targets = null,
        bool start = true,
        bool engine = false)
    {
        time ??= new FakeTimeProvider(Start);
        targets ??= [new RecordingTarget("search"), new RecordingTarget("erp")];
        var observer = new TestObserver();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<EngineObserver>(observer);
        services.AddCommerceJobs(jobs =>
        {
            foreach (var target in targets)
            {
                jobs.AddTarget(target);
            }

            if (store is not null)
            {
                jobs.UseStore(_ => store);
            }

            if (time is AutoAdvanceTimeProvider)
            {
                // A clock that jumps to every timer it is given must see only the code under test's own waits.
                jobs.Configure(o => o.ControlRefreshInterval = Timeout.InfiniteTimeSpan);
            }

            if (configure is not null)
            {
                configure(jobs);
            }
            else
            {
                var builder = jobs.AddEntitySync(Categories).DeliverTo([.. targets.Select(t => t.Name)]);
                sync?.Invoke(builder);
            }
        });
        var sut = new EntitySyncSut(services.BuildServiceProvider(), time, targets, observer);
        if (start)
        {
            await sut.Sync.StartAsync(CancellationToken.None);
        }

        if (engine)
        {
            // The engine runs the one operator-state refresh (every ControlRefreshInterval).
            sut.Engine.Start();
        }

        return sut;
    }

    public static InMemoryJobStore CreateStore() => new();

    /// <summary>Waits until every target waits with nothing it could deliver now (bounded, never sleeps).</summary>
    public Task DrainAsync() => Observer.WhenLanesIdleAsync();

    public Task DrainAsync(string target) => Observer.WhenLaneIdleAsync(Categories, target);

    public ValueTask<bool> UpsertAsync(string id, long version, string? type = null) =>
        Sync.PublishAsync(EntityChange.Upsert(type ?? Categories, id, $"{id}@{version}", version), CancellationToken.None);

    public ValueTask<bool> DeleteAsync(string id, long version, string? type = null) =>
        Sync.PublishAsync(EntityChange.Delete(type ?? Categories, id, version), CancellationToken.None);

    public EntitySyncStatus Status(string target) => Sync.GetStatus(Categories).Single(s => s.TargetName == target);

    /// <summary>Reads the store's counts now, then the status (<see cref="Status"/> is as fresh as the lane's last pass or poll).</summary>
    public async Task<EntitySyncStatus> StatusAsync(string target)
    {
        await Sync.RefreshStatusAsync();
        return Status(target);
    }

    /// <summary>One pass of the operator-state refresh (the engine's, every kind), as the refresh interval runs it.</summary>
    public Task RefreshAsync(CancellationToken cancellationToken = default) =>
        Engine.RefreshOperatorStateAsync(cancellationToken);

    /// <summary>Gets the changes the store holds for a type and target (read from the store, not from a lane).</summary>
    public static async Task<IReadOnlyList<EntityChange>> HeldAsync(IJobStore store, string entityType, string target) =>
        await store.GetEntityChangesAsync(entityType, target, CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        // Stop at once (a delivery waiting for the fake clock is cancelled), then release the services.
        await Task.WhenAll(Sync.StopAsync(new CancellationToken(canceled: true)), Engine.StopAsync(new CancellationToken(canceled: true)));
        await Services.DisposeAsync();
    }
}
