using static Commerce.Jobs.Tests.EntitySync.EntitySyncSut;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>Entity sync delivers through a target's typed contract, <see cref="IDeliveryTarget{T}"/> of <see cref="EntityChange"/>, when it has one.</summary>
public sealed class EntitySyncTypedTargetTests
{
    [Fact]
    public async Task A_named_target_with_the_typed_contract_receives_changes_through_it()
    {
        var typed = new TypedChangeTarget("typed");
        await using var sut = await CreateAsync(configure: jobs =>
        {
            jobs.AddTarget(typed);
            jobs.AddEntitySync(Categories).DeliverTo("typed", "search");
        });

        await sut.UpsertAsync("c-1", 1);
        await sut.DeleteAsync("c-2", 2);
        await sut.DrainAsync();

        Assert.Equal(["c-1", "c-2"], typed.Typed.Order());
        Assert.Equal(0, typed.Generic);

        // A target with only the generic contract still receives every change through it.
        Assert.Equal(["c-1", "c-2"], sut.Search.Log.Select(c => c.Id).Order());
    }

    private sealed class TypedChangeTarget(string name) : IDeliveryTarget, IDeliveryTarget<EntityChange>
    {
        private readonly Lock _gate = new();
        private readonly List<string> _typed = [];
        private int _generic;

        public string Name { get; } = name;

        public int Generic => Volatile.Read(ref _generic);

        public IReadOnlyList<string> Typed
        {
            get
            {
                lock (_gate)
                {
                    return [.. _typed];
                }
            }
        }

        public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<EntityChange> batch, CancellationToken cancellationToken)
        {
            lock (_gate)
            {
                foreach (var change in batch.Records.Span)
                {
                    _typed.Add(change.Id);
                }
            }

            return ValueTask.FromResult(DeliveryResult.Delivered);
        }

        public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _generic);
            return ValueTask.FromResult(DeliveryResult.Delivered);
        }
    }
}
