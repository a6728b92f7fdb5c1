namespace Commerce.Jobs.Records;

/// <summary>The delay maths of "up to N retries within T": exponential backoff with jitter, compressed to fit the window.</summary>
internal static class RetryWindow
{
    /// <summary>
    /// The delay before retry number <paramref name="retryIndex"/> (0-based): <c>baseDelay × 2^retryIndex</c>, but no more
    /// than leaves room for the retries after it (each double the one before) in <paramref name="remaining"/>, then
    /// scaled by a jitter factor in [0.5, 1]. Never more than <paramref name="remaining"/>.
    /// </summary>
    public static TimeSpan ComputeDelay(TimeSpan remaining, int retriesLeft, int retryIndex, TimeSpan baseDelay, double jitter)
    {
        if (remaining <= TimeSpan.Zero || retriesLeft <= 0)
        {
            return TimeSpan.Zero;
        }

        var exponential = baseDelay.Ticks * Math.Pow(2, Math.Min(retryIndex, 62));
        var fit = remaining.Ticks / (Math.Pow(2, Math.Min(retriesLeft, 62)) - 1);
        var delay = Math.Min(exponential, fit) * (0.5 + (0.5 * Math.Clamp(jitter, 0, 1)));
        return TimeSpan.FromTicks(Math.Min((long)delay, remaining.Ticks));
    }
}
