namespace Commerce.Jobs;

/// <summary>The host's entities, read for full and targeted syncs (every category from the catalog, one buyer by id).</summary>
/// <remarks>
/// Return <see cref="EntityChange.Upsert"/> changes with the entity's current payload and version; the version decides
/// whether the entity is delivered (an older version never overwrites a newer one). Stream the entities: a full sync
/// reads them a batch ahead of delivery, once per target, so each target progresses at its own pace.
/// </remarks>
public interface IEntitySource
{
    /// <summary>Reads every entity of a type, for a full sync.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="cancellationToken">Cancelled when the sync stops.</param>
    /// <returns>An upsert per entity, streamed.</returns>
    IAsyncEnumerable<EntityChange> ReadAllAsync(string entityType, CancellationToken cancellationToken);

    /// <summary>Reads specific entities, for a targeted sync (to repair them at the targets).</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="ids">The ids asked for.</param>
    /// <param name="cancellationToken">Cancelled when the caller gives up.</param>
    /// <returns>
    /// An upsert per entity that exists; for an id that no longer exists, a <see cref="EntityChange.Delete"/> with a
    /// version above any it had, or nothing to leave the targets alone.
    /// </returns>
    IAsyncEnumerable<EntityChange> ReadAsync(string entityType, IReadOnlyCollection<string> ids, CancellationToken cancellationToken);
}
