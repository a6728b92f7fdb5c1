using Commerce.Jobs.Tests.EntitySync;

namespace Commerce.Jobs.Tests.Hosting;

/// <summary>The periodic background pass shared by the engine's and entity sync's refresh.</summary>
public sealed class PeriodicTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_pass_that_throws_is_reported_and_the_next_pass_runs()
    {
        var time = new WatchedTimeProvider(EntitySyncSut.Start);
        using var stopping = new CancellationTokenSource();
        var reported = new List<Exception>();
        var passes = 0;
        var loop = Periodic.Start(
            Interval,
            time,
            _ => ++passes == 1 ? throw new InvalidOperationException("store down") : Task.CompletedTask,
            reported.Add,
            stopping.Token);

        for (var armed = 1; armed <= 3; armed++)
        {
            await time.WhenArmedAsync(Interval, armed);
            time.Advance(Interval);
        }

        await time.WhenArmedAsync(Interval, 4);
        Assert.Equal(3, passes);
        Assert.Equal("store down", Assert.Single(reported).Message);

        await stopping.CancelAsync();
        await loop.WaitAsync(Patience);
        Assert.True(loop.IsCompletedSuccessfully);
    }
}
