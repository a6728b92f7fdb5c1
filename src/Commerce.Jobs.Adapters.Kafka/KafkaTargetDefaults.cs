namespace Commerce.Jobs.Adapters.Kafka;

/// <summary>The defaults, limits and header names of the Kafka target, in one place.</summary>
internal static class KafkaTargetDefaults
{
    /// <summary>The header with the record's idempotency key, <c>{job}:{record id}</c> as <see cref="IdempotencyKey.Create"/> builds it.</summary>
    public const string IdempotencyKeyHeader = "idempotency-key";

    /// <summary>The header with the job's name (the entity type, for entity synchronization).</summary>
    public const string JobHeader = "job";

    /// <summary>The header with an <see cref="EntityChange"/>'s entity type.</summary>
    public const string EntityTypeHeader = "entity-type";

    /// <summary>The header with an <see cref="EntityChange"/>'s kind: <c>upsert</c> or <c>delete</c>.</summary>
    public const string ChangeKindHeader = "change-kind";

    /// <summary>The header with an <see cref="EntityChange"/>'s version, in invariant decimal digits.</summary>
    public const string EntityVersionHeader = "entity-version";

    /// <summary>The longest topic name Kafka accepts.</summary>
    public const int MaxTopicLength = 249;

    public static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan MaxDeliveryTimeout = TimeSpan.FromDays(1);

    /// <summary>How much longer than the delivery timeout a batch waits for its last delivery report.</summary>
    public static readonly TimeSpan ReportGrace = TimeSpan.FromSeconds(5);

    /// <summary>The producer settings set through <see cref="KafkaTargetOptions"/> or fixed by the target.</summary>
    public static readonly string[] ReservedSettings =
    [
        "bootstrap.servers", "metadata.broker.list", "enable.idempotence", "acks", "request.required.acks",
        "message.timeout.ms", "delivery.timeout.ms", "transactional.id",
    ];
}
