namespace Commerce.Jobs;

/// <summary>A change of one entity (a category, a buyer, an inventory record) that entity synchronization delivers to the entity type's targets.</summary>
/// <remarks>
/// <para>
/// The <see cref="Version"/> decides: for each entity and target, a change is delivered only if no newer version of
/// the entity has been delivered or is waiting, so an older version never overwrites a newer one. Use a number that
/// grows with every change of the entity (a row version, a change counter, a timestamp in ticks).
/// </para>
/// <para>
/// Targets receive changes as records of a <see cref="DeliveryBatch{T}"/> of <see cref="EntityChange"/> whose
/// <see cref="DeliveryBatch{T}.JobName"/> is the entity type and whose record id is <c>{id}:{version}</c>, so the
/// idempotency key of a change is <see cref="IdempotencyKey"/>, <c>{type}:{id}:{version}</c> percent-encoded by
/// <see cref="Jobs.IdempotencyKey.Create"/>, the same on every retry and after a restart.
/// </para>
/// </remarks>
public sealed record EntityChange
{
    private EntityChange(string entityType, string id, EntityChangeKind kind, object? payload, long version)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(entityType);
        ArgumentException.ThrowIfNullOrEmpty(id);
        EntityType = entityType;
        Id = id;
        Kind = kind;
        Payload = payload;
        Version = version;
    }

    /// <summary>Gets the entity type (<c>categories</c>, <c>buyers</c>), which names its sync configuration.</summary>
    public string EntityType { get; }

    /// <summary>Gets the entity's id, unique within its type (compared ordinally).</summary>
    public string Id { get; }

    /// <summary>Gets whether the entity was upserted or deleted.</summary>
    public EntityChangeKind Kind { get; }

    /// <summary>Gets the entity's new state for an upsert; <see langword="null"/> for a delete.</summary>
    public object? Payload { get; }

    /// <summary>Gets the entity's version after the change; a higher version is newer.</summary>
    public long Version { get; }

    /// <summary>Gets the change's record id in a delivery batch: <c>{id}:{version}</c>.</summary>
    public string RecordId => string.Concat(Id, ":", Version.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>
    /// Gets the change's idempotency key, <c>{type}:{id}:{version}</c> made safe by <see cref="Jobs.IdempotencyKey.Create"/>:
    /// the same on every retry and after a restart, so a target can drop a duplicate.
    /// </summary>
    public string IdempotencyKey => Jobs.IdempotencyKey.Create(EntityType, RecordId);

    /// <summary>Creates the change of an entity that was created or changed.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="id">The entity's id.</param>
    /// <param name="payload">The entity's new state, delivered to the targets.</param>
    /// <param name="version">The entity's version after the change.</param>
    /// <returns>The change.</returns>
    /// <exception cref="ArgumentException"><paramref name="entityType"/> or <paramref name="id"/> is empty.</exception>
    public static EntityChange Upsert(string entityType, string id, object? payload, long version) => new(entityType, id, EntityChangeKind.Upsert, payload, version);

    /// <summary>Creates the change of an entity that was deleted.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="id">The entity's id.</param>
    /// <param name="version">The entity's version at deletion, higher than any version it had before.</param>
    /// <returns>The change.</returns>
    /// <exception cref="ArgumentException"><paramref name="entityType"/> or <paramref name="id"/> is empty.</exception>
    public static EntityChange Delete(string entityType, string id, long version) => new(entityType, id, EntityChangeKind.Delete, null, version);

    /// <inheritdoc />
    public override string ToString() => $"{Kind} {EntityType}:{Id} v{Version}";
}
