namespace Commerce.Jobs;

/// <summary>A snapshot of one entity type's synchronization to one target.</summary>
/// <remarks>
/// The counts (pending, delivered, skipped, failed), the last delivery and the last error come from the job store: they
/// are cluster-wide (the same on every host sharing the store, kept over restarts) and as fresh as this host's last read
/// of them, after each delivery pass of the target and at each poll (<c>EntitySyncOptions.PollInterval</c>). The pause
/// and an error of this host (the store failing, a full sync failing) newer than the stored one are this host's.
/// </remarks>
public sealed class EntitySyncStatus
{
    /// <summary>Gets the entity type.</summary>
    public required string EntityType { get; init; }

    /// <summary>Gets the target's name.</summary>
    public required string TargetName { get; init; }

    /// <summary>Gets how many changes wait for this target: consolidated upserts held by a pause, deletes, changes being delivered or waiting to be retried.</summary>
    public long PendingCount { get; init; }

    /// <summary>Gets the highest version of the type delivered to the target (by any host), if any.</summary>
    public long? LastDeliveredVersion { get; init; }

    /// <summary>Gets when a change was last delivered to the target (by any host), if ever.</summary>
    public DateTimeOffset? LastDeliveredAt { get; init; }

    /// <summary>Gets since when the type is paused, or <see langword="null"/> when it is not.</summary>
    public DateTimeOffset? PausedSince { get; init; }

    /// <summary>Gets the last delivery error (a skipped or rejected change, a failed full sync), if any.</summary>
    public string? LastError { get; init; }

    /// <summary>Gets when <see cref="LastError"/> happened.</summary>
    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>Gets how many changes were delivered to the target since the type was configured for it, by every host.</summary>
    public long DeliveredCount { get; init; }

    /// <summary>Gets how many deliveries were skipped after their retries since the type was configured for the target, by every host (each change stays pending and is tried again later).</summary>
    public long SkippedCount { get; init; }

    /// <summary>Gets how many changes the target rejected permanently since the type was configured for it, by every host (they are not tried again).</summary>
    public long FailedCount { get; init; }

    /// <summary>Gets a value indicating whether a full sync is in progress for the target as this host knows: its read is unfinished, or the repairs it read are still held.</summary>
    public bool FullSyncRunning { get; init; }
}
