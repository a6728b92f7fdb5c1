namespace Commerce.Jobs;

/// <summary>"Up to <see cref="MaxRetries"/> retries within <see cref="Window"/>" for a batch whose delivery failed transiently.</summary>
/// <remarks>
/// The window starts at the batch's first failure; every retry starts inside it. Delays grow exponentially from
/// <see cref="BaseDelay"/> with jitter and are compressed to fit what is left of the window; a target's
/// <c>Retry-After</c> hint is honoured when it fits, otherwise the remaining retries are given up and the
/// records are skipped for this run.
/// </remarks>
public sealed class RetryWindowOptions
{
    /// <summary>Gets or sets the most retries of one batch (0 to 100).</summary>
    /// <value>The default value is 3.</value>
    public int MaxRetries { get; set; } = JobDefaults.MaxRetries;

    /// <summary>Gets or sets the window all retries must start in, from the first failure (1 second to 1 day).</summary>
    /// <value>The default value is 60 seconds.</value>
    public TimeSpan Window { get; set; } = JobDefaults.RetryWindow;

    /// <summary>Gets or sets the delay before the first retry, doubled for each one after it (before jitter and compression).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan BaseDelay { get; set; } = JobDefaults.RetryBaseDelay;
}
