namespace Commerce.Jobs;

/// <summary>What an <see cref="EntityChange"/> does to its entity at a target.</summary>
public enum EntityChangeKind
{
    /// <summary>The entity was created or changed: the target stores the payload.</summary>
    Upsert,

    /// <summary>The entity was deleted: the target removes it. Deletes are never paused.</summary>
    Delete,
}
