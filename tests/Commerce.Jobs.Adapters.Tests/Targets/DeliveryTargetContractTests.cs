using Commerce.Jobs.Adapters.Tests.TestSupport;

namespace Commerce.Jobs.Adapters.Tests.Targets;

/// <summary>
/// What every <see cref="IDeliveryTarget"/> must do, run against each implementation (the model is dotnet/runtime's
/// ChannelTestBase). A subclass creates the target and reads back what reached its far side.
/// </summary>
public abstract class DeliveryTargetContractTests
{
    /// <summary>Gets the name the target was created with.</summary>
    protected abstract string TargetName { get; }

    /// <summary>Creates the target under test; called once per test.</summary>
    protected abstract IDeliveryTarget CreateSut();

    /// <summary>Reads back every record that reached the target's far side, one entry per arrival (duplicates included).</summary>
    protected abstract Task<IReadOnlyList<DeliveredRecord>> ReadDeliveredAsync();

    [Fact]
    public void Name_is_the_registered_name() => Assert.Equal(TargetName, CreateSut().Name);

    [Fact]
    public async Task Delivers_a_batch_and_answers_for_every_record()
    {
        var sut = CreateSut();
        var orders = Batches.Orders(5);

        var result = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);

        AssertAllDelivered(result, orders.Length);
        var delivered = await ReadDeliveredAsync();
        Assert.Equal(orders.Select(o => o.Id).Order(), delivered.Select(d => d.RecordId).Order());
    }

    [Fact]
    public async Task Empty_batch_is_delivered_and_sends_nothing()
    {
        var sut = CreateSut();

        var result = await sut.DeliverAsync(Batches.Of(Array.Empty<Order>()), CancellationToken.None);

        AssertAllDelivered(result, 0);
        Assert.Empty(await ReadDeliveredAsync());
    }

    [Fact]
    public async Task Records_of_two_types_reach_the_same_target()
    {
        var sut = CreateSut();
        var orders = Batches.Orders(2);
        var shipments = Batches.Shipments(3);

        var first = await sut.DeliverAsync(Batches.Of(orders), CancellationToken.None);
        var second = await sut.DeliverAsync(Batches.Of(shipments), CancellationToken.None);

        AssertAllDelivered(first, 2);
        AssertAllDelivered(second, 3);
        var ids = (await ReadDeliveredAsync()).Select(d => d.RecordId).Order().ToArray();
        Assert.Equal(orders.Select(o => o.Id).Concat(shipments.Select(s => s.Id)).Order(), ids);
    }

    [Fact]
    public async Task Idempotency_keys_are_stable_across_two_deliveries_of_the_same_batch()
    {
        var sut = CreateSut();
        var orders = Batches.Orders(3);

        AssertAllDelivered(await sut.DeliverAsync(Batches.Of(0, orders), CancellationToken.None), 3);
        var afterFirst = await ReadDeliveredAsync();
        AssertAllDelivered(await sut.DeliverAsync(Batches.Of(1, orders), CancellationToken.None), 3);
        var afterSecond = await ReadDeliveredAsync();

        // The receiver sees each record under one key, whether the target sent it twice or dropped the duplicate.
        Assert.All(afterSecond.GroupBy(d => d.RecordId), g => Assert.Single(g.Select(d => d.Key).Distinct()));
        Assert.Equal(afterFirst.Select(d => d.Key).ToHashSet(), afterSecond.Select(d => d.Key).ToHashSet());
        Assert.Equal(3, afterSecond.Select(d => d.RecordId).Distinct().Count());
        Assert.All(afterSecond, d => Assert.Contains(d.Key, afterFirst.Select(f => f.Key)));
    }

    [Fact]
    public virtual async Task Cancelled_token_throws_and_delivers_nothing()
    {
        var sut = CreateSut();
        using var cts = new CancellationTokenSource();
        cts.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await sut.DeliverAsync(Batches.Of(Batches.Orders(2)), cts.Token));

        Assert.Empty(await ReadDeliveredAsync());
    }

    protected static void AssertAllDelivered(DeliveryResult result, int count)
    {
        if (result.BatchStatus is { } status)
        {
            Assert.Equal(RecordStatus.Delivered, status);
            Assert.Null(result.Error);
            return;
        }

        Assert.Equal(count, result.Outcomes.Length);
        Assert.All(result.Outcomes.ToArray(), o => Assert.Equal(RecordStatus.Delivered, o.Status));
    }
}
