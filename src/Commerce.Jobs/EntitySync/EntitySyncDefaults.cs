namespace Commerce.Jobs.EntitySync;

/// <summary>The defaults of <see cref="EntitySyncOptions"/>, in one place.</summary>
internal static class EntitySyncDefaults
{
    public const int BatchSize = 100;
    public const int MaxItemsToSkip = 100;
    public const int MaxBatchSize = 100_000;
    public static readonly TimeSpan RetrySkippedAfter = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan TombstoneRetention = TimeSpan.FromDays(30);

    /// <summary>How long a cancelled delivery (pause, stop, a removed target) is waited for before it is abandoned: its changes stay held in the store.</summary>
    public static readonly TimeSpan AbandonAfter = TimeSpan.FromSeconds(1);
}
