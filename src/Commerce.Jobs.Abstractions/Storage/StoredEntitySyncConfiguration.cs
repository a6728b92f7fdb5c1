namespace Commerce.Jobs.Storage;

/// <summary>
/// An entity type's synchronization as it was last changed at run time (<see cref="IEntitySync"/> put, delete, pause,
/// resume), kept in the <see cref="IJobStore"/> so that it outlives a restart and reaches every host of the application.
/// </summary>
/// <param name="EntityType">The entity type.</param>
/// <param name="Configuration">The configuration; <see langword="null"/> when the type was deleted.</param>
/// <param name="ChangedAt">When it was changed.</param>
public sealed record StoredEntitySyncConfiguration(string EntityType, EntitySyncConfiguration? Configuration, DateTimeOffset ChangedAt);
