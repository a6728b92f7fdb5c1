namespace Commerce.Jobs.Adapters.EventHubs;

/// <summary>The defaults, limits and property names of the Event Hubs target, in one place.</summary>
internal static class EventHubsTargetDefaults
{
    /// <summary>The application property with the record's idempotency key, <c>{job}:{record id}</c> as <see cref="IdempotencyKey.Create"/> builds it.</summary>
    public const string IdempotencyKeyProperty = "idempotency-key";

    /// <summary>The application property with the job's name (the entity type, for entity synchronization).</summary>
    public const string JobProperty = "job";

    /// <summary>The application property with an <see cref="EntityChange"/>'s entity type.</summary>
    public const string EntityTypeProperty = "entity-type";

    /// <summary>The application property with an <see cref="EntityChange"/>'s kind: <c>upsert</c> or <c>delete</c>.</summary>
    public const string ChangeKindProperty = "change-kind";

    /// <summary>The application property with an <see cref="EntityChange"/>'s version, a 64-bit integer.</summary>
    public const string EntityVersionProperty = "entity-version";

    /// <summary>The content type of an event whose body is JSON.</summary>
    public const string JsonContentType = "application/json";

    public const bool UsePartitionKey = true;

    public const int MaxConcurrentSends = 4;

    public const int MaxMaxConcurrentSends = 64;

    /// <summary>The longest event hub name Event Hubs accepts.</summary>
    public const int MaxEventHubNameLength = 256;

    /// <summary>
    /// The longest partition key sent as it is; a longer id is sent as <c>sha256:</c> and the hex digest of its UTF-8 bytes,
    /// so that it still picks the same partition on every host.
    /// </summary>
    public const int MaxPartitionKeyLength = 128;

    public static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan MinSendTimeout = TimeSpan.FromSeconds(1);

    /// <summary>The longest try timeout the client accepts.</summary>
    public static readonly TimeSpan MaxSendTimeout = TimeSpan.FromHours(1);

    /// <summary>
    /// The retry-after hint of a busy (throttled) service. Event Hubs sends none, and its documentation asks a client that was
    /// told the server is busy to wait at least 4 seconds before it tries again.
    /// </summary>
    public static readonly TimeSpan ServerBusyRetryAfter = TimeSpan.FromSeconds(4);
}
