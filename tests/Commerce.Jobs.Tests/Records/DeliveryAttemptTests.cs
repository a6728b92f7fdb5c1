using System.Reflection;
using Commerce.Jobs.Records;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Tests.Records;

/// <summary>The retry predicate of the delivery pipeline only answers; it changes nothing that the delay or the outcome reads.</summary>
public sealed class DeliveryAttemptTests
{
    [Theory]
    [InlineData(null)]
    [InlineData(5)]
    [InlineData(3_600)]
    public async Task ShouldRetry_CalledTwice_SameAnswerAndNoStateChanged(int? retryAfterSeconds)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var retryAfter = retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;
        var attempt = CreateSut(time, DeliveryResult.TransientFailure("busy", retryAfter));
        attempt.Reset(new[] { "a", "b" }, new RecordOutcome[2]);
        await attempt.DeliverAsync(CancellationToken.None);

        var before = Snapshot(attempt);
        var first = attempt.ShouldRetry(0);
        var afterFirst = Snapshot(attempt);
        var second = attempt.ShouldRetry(0);
        var afterSecond = Snapshot(attempt);

        Assert.Equal(first, second);
        Assert.Equal(retryAfterSeconds != 3_600, first);
        Assert.Equal(before, afterFirst);
        Assert.Equal(before, afterSecond);
    }

    [Theory]
    [InlineData(4, 0, null, "the 3 retries were used up")]
    [InlineData(1, 0, 3_600, "the target asked to wait 01:00:00, past the retry window")]
    [InlineData(2, 61, null, "the retry window closed")]
    [InlineData(2, 30, null, null)]
    public async Task GaveUp_DerivedAfterTheAttempts_NamesWhyRetriesStopped(int deliveries, int secondsBetween, int? retryAfterSeconds, string? expected)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var retryAfter = retryAfterSeconds is { } s ? TimeSpan.FromSeconds(s) : (TimeSpan?)null;
        var attempt = CreateSut(time, DeliveryResult.TransientFailure("busy", retryAfter));
        attempt.Reset(new[] { "a" }, new RecordOutcome[1]);
        for (var i = 0; i < deliveries; i++)
        {
            time.Advance(TimeSpan.FromSeconds(i == 0 ? 0 : secondsBetween));
            await attempt.DeliverAsync(CancellationToken.None);
        }

        Assert.Equal(expected, attempt.GaveUp);

        // The predicate answers only for the window; Polly itself stops once the retries are used up.
        Assert.Equal(expected is null || expected.EndsWith("used up", StringComparison.Ordinal), attempt.ShouldRetry(deliveries - 1));
    }

    private static DeliveryAttempt<string> CreateSut(TimeProvider time, DeliveryResult answer) =>
        new("job", new FixedTarget(answer), static r => r, new RetryWindowOptions { MaxRetries = 3, Window = TimeSpan.FromMinutes(1), BaseDelay = TimeSpan.FromSeconds(1) }, time, observer: null);

    /// <summary>Every instance field of the attempt (auto-property backing fields included), as text; arrays by content.</summary>
    private static List<string> Snapshot(object attempt) =>
        attempt.GetType()
            .GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public)
            .OrderBy(f => f.Name, StringComparer.Ordinal)
            .Select(f => $"{f.Name}={Describe(f.GetValue(attempt))}")
            .ToList();

    private static string Describe(object? value) => value switch
    {
        null => "null",
        string text => text,
        System.Collections.IEnumerable items => "[" + string.Join(",", items.Cast<object?>().Select(Describe)) + "]",
        _ => value.ToString() ?? string.Empty,
    };

    private sealed class FixedTarget(DeliveryResult answer) : IDeliveryTarget<string>
    {
        public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<string> batch, CancellationToken cancellationToken) => ValueTask.FromResult(answer);
    }
}
