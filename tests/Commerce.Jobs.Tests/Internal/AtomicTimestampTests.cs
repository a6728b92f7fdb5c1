using Commerce.Jobs.Runners;

namespace Commerce.Jobs.Tests.Internal;

/// <summary>Points in time shared between threads without a lock are never read torn.</summary>
/// <remarks>Run alone: the writer and the reader spin on both cores, which would starve the timing of tests beside them.</remarks>
[Collection(nameof(AtomicTimestampTests))]
public sealed class AtomicTimestampTests
{
    private static readonly DateTimeOffset Utc = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Ahead = new(2026, 6, 1, 12, 30, 0, TimeSpan.FromHours(14));

    [Fact]
    public void NextFireTime_ReadBack_IsTheSameInstant()
    {
        var entry = CreateSut();

        Assert.Null(entry.NextFireTime);
        entry.NextFireTime = Ahead;
        Assert.Equal(Ahead, entry.NextFireTime);
        Assert.Equal(Ahead.UtcTicks, entry.NextFireTime!.Value.UtcTicks);
        entry.NextFireTime = DateTimeOffset.MinValue;
        Assert.Equal(DateTimeOffset.MinValue, entry.NextFireTime);
        entry.NextFireTime = null;
        Assert.Null(entry.NextFireTime);
    }

    [Fact]
    public async Task NextFireTime_WrittenWhileRead_IsNeverTorn()
    {
        // One thread writes two instants (and none) over and over; another reads: every read is one of them as a whole,
        // never the clock time of one with the offset of the other.
        var entry = CreateSut();
        using var stop = new CancellationTokenSource();
        var writer = Task.Factory.StartNew(
            () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    entry.NextFireTime = Utc;
                    entry.NextFireTime = Ahead;
                    entry.NextFireTime = null;
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);

        string? torn = null;
        try
        {
            for (var i = 0; i < 2_000_000 && torn is null; i++)
            {
                if (entry.NextFireTime is { } read && !IsWhole(read, Utc) && !IsWhole(read, Ahead))
                {
                    torn = $"{read:O} (read {i})";
                }
            }
        }
        finally
        {
            await stop.CancelAsync();
            await writer.WaitAsync(TimeSpan.FromSeconds(30));
        }

        Assert.Null(torn);
    }

    /// <summary>The same instant, given in its own offset or in UTC.</summary>
    private static bool IsWhole(DateTimeOffset read, DateTimeOffset written)
        => read.UtcTicks == written.UtcTicks && (read.Offset == written.Offset || read.Offset == TimeSpan.Zero);

    private static JobEntry CreateSut() => new("job", new JobOptions(), Schedule.Every(TimeSpan.FromMinutes(1)), null!);
}

/// <summary>Runs the spinning tests alone, after the parallel ones.</summary>
[CollectionDefinition(nameof(AtomicTimestampTests), DisableParallelization = true)]
public sealed class AtomicTimestampCollection;
