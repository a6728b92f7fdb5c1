using Commerce.Jobs.Records;
using Commerce.Jobs.Tests.Scheduling;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Commerce.Jobs.Tests.Records;

/// <summary>
/// "Up to N retries within T": the delay before each retry is exponential backoff with jitter, compressed so that all
/// retries start inside the window that opens at the first failure.
/// </summary>
[Properties(Replay = PropertySeed.Fixed)]
public sealed class RetryWindowTests
{
    /// <summary>Gets a duration in ticks from a millisecond to a day, spread over the orders of magnitude.</summary>
    private static readonly Gen<TimeSpan> Duration =
        from exponent in Gen.Choose(4, 11)
        from mantissa in Gen.Choose(10, 99)
        from extra in Gen.Choose(0, 9_999)
        select TimeSpan.FromTicks(Math.Min((long)(mantissa * Math.Pow(10, exponent - 1)) + extra, TimeSpan.TicksPerDay));

    /// <summary>Gets a jitter draw: anything <see cref="Random.NextDouble"/> returns, and its edges.</summary>
    private static readonly Gen<double> Jitter = Gen.Frequency(
        (4, Gen.Choose(0, 1_000_000).Select(i => i / 1_000_000.0)),
        (1, Gen.Elements(0.0, 1.0, 0.5, 0.999_999_999_999)));

    private static readonly Arbitrary<(TimeSpan Remaining, int RetriesLeft, int RetryIndex, TimeSpan BaseDelay, double Jitter)> Inputs =
        (from remaining in Gen.Frequency((8, Duration), (1, Gen.Elements(TimeSpan.Zero, TimeSpan.FromTicks(1), TimeSpan.FromTicks(-1), TimeSpan.FromSeconds(-5))))
         from retriesLeft in Gen.Choose(-1, 100)
         from retryIndex in Gen.Choose(0, 100)
         from baseDelay in Duration
         from jitter in Jitter
         select (remaining, retriesLeft, retryIndex, baseDelay, jitter)).ToArbitrary();

    private static readonly Arbitrary<(int Retries, TimeSpan Window, TimeSpan BaseDelay, double[] Jitters)> Windows =
        (from retries in Gen.Choose(1, 20)
         from window in Duration.Where(w => w >= TimeSpan.FromSeconds(1))
         from baseDelay in Duration.Where(b => b <= window)
         from jitters in Gen.ArrayOf(Jitter, retries)
         select (retries, window, baseDelay, jitters)).ToArbitrary();

    [Property(MaxTest = 2_000)]
    public Property ComputeDelay_is_never_negative_and_never_more_than_what_remains() => Prop.ForAll(Inputs, c =>
    {
        var delay = RetryWindow.ComputeDelay(c.Remaining, c.RetriesLeft, c.RetryIndex, c.BaseDelay, c.Jitter);

        Assert.True(delay >= TimeSpan.Zero, $"delay {delay} is negative");
        Assert.True(delay <= (c.Remaining > TimeSpan.Zero ? c.Remaining : TimeSpan.Zero), $"delay {delay} is more than the {c.Remaining} that remains");
    });

    [Property(MaxTest = 1_000)]
    public Property Every_retry_starts_inside_the_window_of_the_first_failure() => Prop.ForAll(Windows, c =>
    {
        // The first failure is at t0 = 0; each retry waits the computed delay from what is left of the window, then starts.
        var now = TimeSpan.Zero;
        for (var i = 0; i < c.Retries; i++)
        {
            var delay = RetryWindow.ComputeDelay(c.Window - now, c.Retries - i, i, c.BaseDelay, c.Jitters[i]);
            now += delay;
            Assert.True(now <= c.Window, $"retry {i + 1} of {c.Retries} starts at {now}, after the window of {c.Window}");
        }
    });

    [Property(MaxTest = 1_000)]
    public Property Retries_start_inside_the_window_even_when_attempts_take_time() => Prop.ForAll(
        (from c in Windows.Generator
         from durations in Gen.ArrayOf(Gen.Choose(0, 1_000).Select(permille => permille / 1_000.0), c.Retries)
         select (c, durations)).ToArbitrary(),
        x =>
        {
            // Each attempt takes a share of the window; as long as there is window left, the next retry still starts inside it.
            var (c, durations) = x;
            var now = TimeSpan.Zero;
            for (var i = 0; i < c.Retries && now < c.Window; i++)
            {
                var delay = RetryWindow.ComputeDelay(c.Window - now, c.Retries - i, i, c.BaseDelay, c.Jitters[i]);
                Assert.True(now + delay <= c.Window, $"retry {i + 1} of {c.Retries} starts at {now + delay}, after the window of {c.Window}");
                now += delay + ((c.Window - now - delay) * durations[i] / c.Retries);
            }
        });

    [Property(MaxTest = 1_000)]
    public Property Without_jitter_and_with_a_large_window_delays_double() => Prop.ForAll(
        (from retries in Gen.Choose(1, 20)
         from baseDelayMs in Gen.Choose(1, 5_000)
         from jitter in Gen.Elements(0.0, 0.5, 1.0)
         select (retries, baseDelay: TimeSpan.FromMilliseconds(baseDelayMs), jitter)).ToArbitrary(),
        c =>
        {
            // Large enough that compression never binds: every delay is base × 2^i, scaled by the same jitter factor.
            var window = c.baseDelay * Math.Pow(2, c.retries + 1);
            var factor = 0.5 + (0.5 * c.jitter);
            var now = TimeSpan.Zero;
            var previous = TimeSpan.Zero;
            for (var i = 0; i < c.retries; i++)
            {
                var delay = RetryWindow.ComputeDelay(window - now, c.retries - i, i, c.baseDelay, c.jitter);

                Assert.True(delay >= previous, $"retry {i + 1}: delay {delay} is shorter than the one before ({previous})");
                Assert.Equal((long)(c.baseDelay.Ticks * Math.Pow(2, i) * factor), delay.Ticks);
                previous = delay;
                now += delay;
            }
        });

    [Property(MaxTest = 1_000)]
    public Property Without_jitter_delays_never_shrink_even_when_compressed() => Prop.ForAll(
        (from c in Windows.Generator
         from jitter in Gen.Elements(0.0, 0.5, 1.0)
         select (c, jitter)).ToArbitrary(),
        x =>
        {
            var (c, jitter) = x;
            var now = TimeSpan.Zero;
            var previous = TimeSpan.Zero;
            for (var i = 0; i < c.Retries; i++)
            {
                var delay = RetryWindow.ComputeDelay(c.Window - now, c.Retries - i, i, c.BaseDelay, jitter);

                Assert.True(delay >= previous, $"retry {i + 1}: delay {delay} is shorter than the one before ({previous})");
                previous = delay;
                now += delay;
            }
        });

    [Fact]
    public void ComputeDelay_ThreeRetriesInSixtySeconds_BacksOffFromTheBaseDelay()
    {
        // The defaults: 3 retries within 60 s from a 1 s base delay, jitter factor 1 (the top of [0.5, 1]).
        var window = TimeSpan.FromSeconds(60);

        var first = RetryWindow.ComputeDelay(window, 3, 0, TimeSpan.FromSeconds(1), 1.0);
        var second = RetryWindow.ComputeDelay(window - first, 2, 1, TimeSpan.FromSeconds(1), 1.0);
        var third = RetryWindow.ComputeDelay(window - first - second, 1, 2, TimeSpan.FromSeconds(1), 1.0);

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], [first, second, third]);
    }

    [Fact]
    public void ComputeDelay_WindowTooSmallForTheBackoff_CompressesToFit()
    {
        // 3 retries in 7 s from a 10 s base: the doubling delays 1, 2, 4 s fill the window exactly.
        var window = TimeSpan.FromSeconds(7);

        var first = RetryWindow.ComputeDelay(window, 3, 0, TimeSpan.FromSeconds(10), 1.0);
        var second = RetryWindow.ComputeDelay(window - first, 2, 1, TimeSpan.FromSeconds(10), 1.0);
        var third = RetryWindow.ComputeDelay(window - first - second, 1, 2, TimeSpan.FromSeconds(10), 1.0);

        Assert.Equal([TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(4)], [first, second, third]);
    }

    [Theory]
    [InlineData(0.0, 500)]
    [InlineData(0.5, 750)]
    [InlineData(1.0, 1_000)]
    [InlineData(-3.0, 500)]
    [InlineData(7.0, 1_000)]
    public void ComputeDelay_Jitter_ScalesBetweenHalfAndFull(double jitter, int expectedMilliseconds)
    {
        var delay = RetryWindow.ComputeDelay(TimeSpan.FromMinutes(1), 3, 0, TimeSpan.FromSeconds(1), jitter);

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), delay);
    }

    [Theory]
    [InlineData(0L, 3)]
    [InlineData(-10_000_000L, 3)]
    [InlineData(600_000_000L, 0)]
    [InlineData(600_000_000L, -1)]
    public void ComputeDelay_NoWindowOrNoRetriesLeft_IsZero(long remainingTicks, int retriesLeft)
    {
        Assert.Equal(TimeSpan.Zero, RetryWindow.ComputeDelay(TimeSpan.FromTicks(remainingTicks), retriesLeft, 0, TimeSpan.FromSeconds(1), 1.0));
    }
}
