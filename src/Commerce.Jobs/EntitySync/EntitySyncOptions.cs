using Commerce.Jobs.EntitySync;

namespace Commerce.Jobs;

/// <summary>How one entity type's changes are delivered: batch size, retry window and skip threshold, as for record jobs.</summary>
/// <remarks>
/// Named options, one per entity type: set in code with <see cref="EntitySyncBuilder"/> and bound from
/// <c>CommerceJobs:EntitySync:{entity type}</c> (configuration wins). A type added at run time with
/// <see cref="IEntitySync.PutConfigurationAsync(EntitySyncConfiguration, CancellationToken)"/> uses its named options too (the defaults unless bound).
/// Each (type, target) applies them on its own. <see cref="BatchSize"/>, <see cref="MaxItemsToSkip"/>,
/// <see cref="RetryWindowOptions.MaxRetries"/>, <see cref="RetryWindowOptions.Window"/> and <see cref="RetrySkippedAfter"/>
/// can be overridden at run time as fields of the type's <see cref="EntitySyncConfiguration"/> (from the next batch on).
/// </remarks>
public sealed class EntitySyncOptions
{
    /// <summary>Gets or sets the changes per delivery call to a target (1 to 100,000).</summary>
    /// <value>The default value is 100.</value>
    public int BatchSize { get; set; } = EntitySyncDefaults.BatchSize;

    /// <summary>
    /// Gets or sets how many changes one delivery pass to a target may skip (after their retries) before it stops and
    /// waits <see cref="RetrySkippedAfter"/> ("maximum items to skip before failure").
    /// </summary>
    /// <value>The default value is 100.</value>
    public int MaxItemsToSkip { get; set; } = EntitySyncDefaults.MaxItemsToSkip;

    /// <summary>Gets the retry window of a batch whose delivery failed transiently.</summary>
    public RetryWindowOptions RetryWindow { get; } = new();

    /// <summary>
    /// Gets or sets how long a target waits before it tries skipped changes again when nothing new arrives (a new change,
    /// a resume or a sync request tries them at once). From 1 second to 1 day.
    /// </summary>
    /// <value>The default value is 1 minute.</value>
    public TimeSpan RetrySkippedAfter { get; set; } = EntitySyncDefaults.RetrySkippedAfter;

    /// <summary>
    /// Gets or sets how often each target's worker polls the job store when no doorbell rang: how a host learns of changes
    /// published on other hosts sharing the store, and of skipped changes coming due. From 100 milliseconds to 1 hour.
    /// </summary>
    /// <value>The default value is 2 seconds.</value>
    public TimeSpan PollInterval { get; set; } = EntitySyncDefaults.PollInterval;

    /// <summary>
    /// Gets or sets how long the delivered version of a delete (a tombstone) is kept per target, so that an older upsert
    /// of the entity arriving late is recognized as stale and not delivered. Nightly Maintenance purges older tombstones;
    /// after that, an upsert older than the delete can be delivered again and bring the entity back at the target. Keep
    /// it longer than a change of this type can be late. Greater than zero.
    /// </summary>
    /// <value>The default value is 30 days.</value>
    public TimeSpan TombstoneRetention { get; set; } = EntitySyncDefaults.TombstoneRetention;
}
