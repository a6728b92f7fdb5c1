using Commerce.Jobs.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Tests.Records;

public sealed class NamedTargetsTests
{
    [Fact]
    public async Task A_named_target_is_created_once_shared_and_disposed_with_the_host()
    {
        var created = 0;
        DisposableTarget? target = null;
        var cart = new Cart([new Order("SO1")]);
        var other = new Cart([new Order("SO2")]);
        var sut = TestEngine.Create(jobs =>
        {
            jobs.AddTarget("erp", _ =>
            {
                Interlocked.Increment(ref created);
                return target = new DisposableTarget("erp");
            });
            jobs.AddRecordJob<Order>("order-submit").ReadFrom(cart).ReportStatusTo(cart).DeliverTo("erp");
            jobs.AddRecordJob<Order>("order-export").ReadFrom(other).ReportStatusTo(other).DeliverTo("erp");
        });

        sut.Engine.Trigger("order-submit");
        sut.Engine.Trigger("order-export");
        await sut.WaitForAsync(r => r.Count == 2);
        Assert.Equal(1, created);
        Assert.Equal(2, target!.Delivered);

        await sut.DisposeAsync();
        Assert.True(target.Disposed);
    }

    private sealed class DisposableTarget(string name) : IDeliveryTarget, IAsyncDisposable
    {
        private int _delivered;

        public string Name { get; } = name;

        public int Delivered => Volatile.Read(ref _delivered);

        public bool Disposed { get; private set; }

        public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref _delivered, batch.Count);
            return ValueTask.FromResult(DeliveryResult.Delivered);
        }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }
}
