namespace Commerce.Jobs.Storage;

/// <summary>The synchronization state of an entity type at a target, kept in the store (the same on every host, kept over restarts).</summary>
/// <param name="Pending">How many changes are held (one per id at most), claimed or not.</param>
/// <param name="Delivered">How many changes were delivered since the type was configured for the target.</param>
/// <param name="Skipped">How many deliveries were skipped after their retries (each is tried again).</param>
/// <param name="Failed">How many changes the target rejected for good.</param>
/// <param name="LastDeliveredVersion">The highest version delivered, if any.</param>
/// <param name="LastDeliveredAt">When the latest delivery was (the delivering host's clock), if any.</param>
/// <param name="LastError">The last skip's or failure's error, if any.</param>
/// <param name="LastErrorAt">When it happened, if any.</param>
public sealed record EntitySyncCounts(
    long Pending,
    long Delivered,
    long Skipped,
    long Failed,
    long? LastDeliveredVersion,
    DateTimeOffset? LastDeliveredAt,
    string? LastError,
    DateTimeOffset? LastErrorAt);
