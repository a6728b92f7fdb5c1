using BenchmarkDotNet.Attributes;
using Commerce.Jobs.Adapters;
using Commerce.Jobs.Benchmarks.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Commerce.Jobs.Benchmarks;

/// <summary>
/// Entity sync while paused: 1,000,000 upserts over 10,000 ids published to a paused type, then resumed, until the
/// target has one consolidated delivery per id. One operation is one published upsert. The changes are built before the
/// measurement; the heap the paused type holds after publishing is printed per id (it must scale with ids, not changes).
/// The lanes hold no per-id state: that heap is the default in-memory store's held rows. The store variants are in
/// <see cref="Stores.EntitySyncStoreBenchmark"/>.
/// </summary>
[Config(typeof(ThroughputConfig))]
[MemoryDiagnoser]
[BenchmarkCategory(BenchSettings.EngineCategory)]
public class EntitySyncConsolidationBenchmark
{
    public const int Changes = 1_000_000;
    public const int Ids = 10_000;
    private const string Type = "categories";
    private const int Chunk = 1_000;

    private ServiceProvider _services = null!;
    private IHostedService[] _hosted = [];
    private IEntitySync _sync = null!;
    private InMemoryTarget _target = null!;
    private EntityChange[][] _chunks = [];

    [IterationSetup]
    public void Setup()
    {
        _target = new InMemoryTarget("search");
        var collection = new ServiceCollection();
        collection.AddLogging();
        collection.AddCommerceJobs(jobs =>
        {
            jobs.AddTarget(_target);
            jobs.AddEntitySync(Type).DeliverTo("search").Paused().Batch(size: 500);
        });
        _services = collection.BuildServiceProvider();
        _hosted = [.. _services.GetServices<IHostedService>()];
        foreach (var hosted in _hosted)
        {
            hosted.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        _sync = _services.GetRequiredService<IEntitySync>();
        _chunks = [.. Enumerable.Range(0, Changes / Chunk).Select(c => Enumerable.Range(c * Chunk, Chunk)
            .Select(i => EntityChange.Upsert(Type, $"c-{i % Ids}", null, i + 1)).ToArray())];
    }

    [IterationCleanup]
    public void Cleanup()
    {
        foreach (var hosted in _hosted.Reverse())
        {
            hosted.StopAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        _services.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(OperationsPerInvoke = Changes)]
    public async Task PublishWhilePausedThenResume()
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        foreach (var chunk in _chunks)
        {
            await _sync.PublishAsync(chunk, CancellationToken.None);
        }

        var held = GC.GetTotalMemory(forceFullCollection: true) - before;
        Console.WriteLine($"// EntitySyncConsolidation held while paused: {held:N0} B for {Ids:N0} ids = {held / (double)Ids:N0} B per id ({held / (double)Changes:N1} B per change)");

        await _sync.ResumeAsync(Type, CancellationToken.None);
        var deadline = Environment.TickCount64 + 120_000;
        while (_target.Deliveries < Ids)
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Only {_target.Deliveries} of {Ids} consolidated deliveries arrived.");
            }

            await Task.Yield();
        }

        if (_target.Deliveries != Ids)
        {
            throw new InvalidOperationException($"{_target.Deliveries} deliveries for {Ids} ids: not consolidated.");
        }
    }
}
