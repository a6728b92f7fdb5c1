using Commerce.Jobs.EntitySync;
using Commerce.Jobs.Tests.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>
/// The fence a configuration change closes over the publishes in flight: for any sequence of enters, exits and closes,
/// no publish enters once it is closed, and the close completes exactly when the last publish that entered has left.
/// </summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class EntitySyncPublishFenceTests
{
    // 0: a publish tries to enter, 1: one inside leaves, 2: a configuration change closes the fence.
    private static readonly Arbitrary<int[]> Ops =
        (from n in Gen.Choose(0, 60)
         from ops in Gen.ArrayOf(Gen.Frequency((4, Gen.Constant(0)), (4, Gen.Constant(1)), (1, Gen.Constant(2))), n)
         select ops).ToArbitrary();

    [Property(MaxTest = 300)]
    public Property Closed_fence_admits_no_publish_and_drains_when_the_last_one_leaves() => Prop.ForAll(Ops, ops =>
    {
        var fence = new EntitySyncPublishFence();
        var inside = 0;
        Task? drained = null;
        foreach (var op in ops)
        {
            switch (op)
            {
                case 0:
                    var entered = fence.TryEnter();
                    Assert.Equal(drained is null, entered);
                    inside += entered ? 1 : 0;
                    break;
                case 1 when inside > 0:
                    fence.Exit();
                    inside--;
                    break;
                case 2:
                    var close = fence.CloseAsync();
                    Assert.True(drained is null || close == drained);
                    drained = close;
                    break;
            }

            Assert.Equal(drained is not null, fence.IsClosed);
            Assert.Equal(drained is not null && inside == 0, drained?.IsCompleted ?? false);
        }
    });

    [Fact]
    public async Task Publishes_entering_and_leaving_on_many_threads_while_it_closes_are_all_waited_for()
    {
        var fence = new EntitySyncPublishFence();
        var inside = 0;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var publishers = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            await start.Task;
            for (var i = 0; i < 10_000 && fence.TryEnter(); i++)
            {
                Interlocked.Increment(ref inside);
                Interlocked.Decrement(ref inside);
                fence.Exit();
            }
        })).ToArray();

        start.SetResult();
        await fence.CloseAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, Volatile.Read(ref inside));
        Assert.False(fence.TryEnter());
        await Task.WhenAll(publishers).WaitAsync(TimeSpan.FromSeconds(30));
    }
}
