namespace Commerce.Jobs;

/// <summary>Publishes entity changes and manages entity synchronization at run time: configurations, pause and resume, full and targeted syncs, status.</summary>
/// <remarks>
/// <para>
/// Each (entity type, target) pair progresses independently: a slow or failing target does not hold back another.
/// Changes are delivered in batches as they happen, retried within the type's retry window, and held in the job store
/// from the moment <see cref="PublishAsync(EntityChange, CancellationToken)"/> returns until the target has them, so a
/// durable store loses none across a restart.
/// </para>
/// <para>
/// While a type is paused its upserts are consolidated per id (the latest version wins) and delivered as one set on
/// resume: a hundred edits of one record become one delivery. Deletes are never paused: a delete goes out at once and
/// drops any held upsert of its id; but the store holds one change per id, so a delete not yet claimed when a newer upsert
/// of its id is published is replaced by that upsert (held until resume; the delete never goes out). For each entity and target the version decides: an older version never overwrites
/// a newer one.
/// </para>
/// <para>
/// Configurations changed at run time (put, delete, pause, resume) are kept in the job store, over the code's
/// declarations: hosts on that store apply them when they start and, while running, within
/// <c>CommerceJobsOptions.ControlRefreshInterval</c>, the newest change winning. Each is recorded in the audit trail
/// (<see cref="Storage.IOperatorChangeLog"/>, kind <see cref="Storage.OperatorStateKinds.EntitySync"/>) with the actor
/// given to the overloads that take one (<see langword="null"/> through the others).
/// </para>
/// </remarks>
/// <example>
/// <code>
/// await entitySync.PauseAsync("categories", ct);
/// foreach (var c in changed) await entitySync.PublishAsync(EntityChange.Upsert("categories", c.Id, c, c.Version), ct);
/// await entitySync.ResumeAsync("categories", ct);   // one consolidated delivery per changed category
/// </code>
/// </example>
public interface IEntitySync
{
    /// <summary>Publishes one change for delivery to its type's targets.</summary>
    /// <param name="change">The change.</param>
    /// <param name="cancellationToken">Cancels the publication.</param>
    /// <returns>
    /// <see langword="true"/> when the change was accepted (held in the store until delivered); <see langword="false"/>
    /// when its type has no configuration, is disabled or has incremental sync off, or every target already has a newer version.
    /// </returns>
    ValueTask<bool> PublishAsync(EntityChange change, CancellationToken cancellationToken);

    /// <summary>Publishes changes for delivery, with one store write per entity type.</summary>
    /// <param name="changes">The changes, of any types.</param>
    /// <param name="cancellationToken">Cancels the publication.</param>
    /// <returns>How many changes were accepted (see <see cref="PublishAsync(EntityChange, CancellationToken)"/>).</returns>
    ValueTask<int> PublishAsync(IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken);

    /// <summary>Pauses an entity type: its upserts are held and consolidated per id until <see cref="ResumeAsync(string, CancellationToken)"/>; deletes still go out at once.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="cancellationToken">Cancels the wait for a delivery in progress.</param>
    /// <returns>A task that completes when no upsert of the type is being delivered any more (a delivery in progress is cancelled and its changes are held; a target that ignores the cancellation is waited for at most 1 s).</returns>
    /// <exception cref="ArgumentException">The type has no configuration.</exception>
    ValueTask PauseAsync(string entityType, CancellationToken cancellationToken) => PauseAsync(entityType, null, cancellationToken);

    /// <summary>Resumes an entity type: the upserts held while it was paused are delivered as one consolidated set.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the type is resumed (delivery continues in the background).</returns>
    /// <exception cref="ArgumentException">The type has no configuration.</exception>
    ValueTask ResumeAsync(string entityType, CancellationToken cancellationToken) => ResumeAsync(entityType, null, cancellationToken);

    /// <summary>Pauses every configured entity type.</summary>
    /// <param name="cancellationToken">Cancels the wait for deliveries in progress.</param>
    /// <returns>A task that completes when no upsert is being delivered any more.</returns>
    ValueTask PauseAllAsync(CancellationToken cancellationToken) => PauseAllAsync(null, cancellationToken);

    /// <summary>Resumes every configured entity type.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when every type is resumed.</returns>
    ValueTask ResumeAllAsync(CancellationToken cancellationToken) => ResumeAllAsync(null, cancellationToken);

    /// <summary>
    /// Starts a full sync of an entity type: every entity its <see cref="IEntitySource"/> returns is delivered to every
    /// target, while incremental changes keep flowing (versions decide). A full sync already running for a target continues.
    /// </summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the sync has started; <see cref="EntitySyncStatus.FullSyncRunning"/> says when it is done.</returns>
    /// <exception cref="ArgumentException">The type has no configuration.</exception>
    /// <exception cref="InvalidOperationException">The type is disabled, or no <see cref="IEntitySource"/> is registered for it.</exception>
    ValueTask StartFullSyncAsync(string entityType, CancellationToken cancellationToken);

    /// <summary>Re-delivers specific entities, read from the type's <see cref="IEntitySource"/>, to every target (to repair them; not for bulk operations).</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="ids">The entities' ids.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>How many changes the source returned for the ids; they are delivered in the background.</returns>
    /// <exception cref="ArgumentException">The type has no configuration.</exception>
    /// <exception cref="InvalidOperationException">The type is disabled, or no <see cref="IEntitySource"/> is registered for it.</exception>
    ValueTask<int> SyncIdsAsync(string entityType, IReadOnlyCollection<string> ids, CancellationToken cancellationToken);

    /// <summary>Gets every entity type's configuration, ordered by type.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The configurations.</returns>
    ValueTask<IReadOnlyList<EntitySyncConfiguration>> GetConfigurationsAsync(CancellationToken cancellationToken);

    /// <summary>Gets one entity type's configuration.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The configuration, or <see langword="null"/> when the type has none.</returns>
    ValueTask<EntitySyncConfiguration?> GetConfigurationAsync(string entityType, CancellationToken cancellationToken);

    /// <summary>
    /// Adds or replaces an entity type's configuration. A target added starts with the changes published from now on (start a
    /// full sync to fill it); a target removed stops and its held changes are dropped. Changed delivery settings are used
    /// from each target's next batch (a <see langword="null"/> one is as declared).
    /// </summary>
    /// <param name="configuration">The configuration.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the configuration is in effect.</returns>
    /// <exception cref="ArgumentException">
    /// The configuration is invalid (empty or invalid type, no target, unknown or repeated target, a delivery setting out of
    /// range, with the start-up validation's message); nothing was changed.
    /// </exception>
    ValueTask PutConfigurationAsync(EntitySyncConfiguration configuration, CancellationToken cancellationToken) => PutConfigurationAsync(configuration, null, cancellationToken);

    /// <summary>
    /// Deletes an entity type's configuration: its targets stop and its held changes are dropped once the publishes in
    /// flight are done, so nothing published before is delivered if the type is configured again.
    /// </summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when the type had a configuration.</returns>
    ValueTask<bool> DeleteConfigurationAsync(string entityType, CancellationToken cancellationToken) => DeleteConfigurationAsync(entityType, null, cancellationToken);

    /// <summary>Gets the sync status of an entity type, one per target.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <returns>The statuses, in the configuration's target order.</returns>
    /// <exception cref="ArgumentException">The type has no configuration.</exception>
    IReadOnlyList<EntitySyncStatus> GetStatus(string entityType);

    /// <summary>Gets the sync status of every entity type and target.</summary>
    /// <returns>The statuses, ordered by type, then in each configuration's target order.</returns>
    IReadOnlyList<EntitySyncStatus> GetStatuses();

    /// <summary>
    /// Pauses an entity type, recording who did it in the audit trail: its upserts are held and consolidated per id until
    /// <see cref="ResumeAsync(string, string, CancellationToken)"/>; deletes still go out at once.
    /// </summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="actor">Who pauses it (a user name), kept in the audit trail; <see langword="null"/> when not known.</param>
    /// <param name="cancellationToken">Cancels the wait for a delivery in progress.</param>
    /// <returns>A task that completes when no upsert of the type is being delivered any more (see <see cref="PauseAsync(string, CancellationToken)"/>).</returns>
    /// <exception cref="ArgumentException">The type has no configuration.</exception>
    ValueTask PauseAsync(string entityType, string? actor, CancellationToken cancellationToken);

    /// <summary>Resumes an entity type, recording who did it in the audit trail: the upserts held while it was paused are delivered as one consolidated set.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="actor">Who resumes it (a user name), kept in the audit trail; <see langword="null"/> when not known.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the type is resumed (delivery continues in the background).</returns>
    /// <exception cref="ArgumentException">The type has no configuration.</exception>
    ValueTask ResumeAsync(string entityType, string? actor, CancellationToken cancellationToken);

    /// <summary>Pauses every configured entity type, recording who did it in the audit trail (one change per type paused).</summary>
    /// <param name="actor">Who pauses them (a user name), kept in the audit trail; <see langword="null"/> when not known.</param>
    /// <param name="cancellationToken">Cancels the wait for deliveries in progress.</param>
    /// <returns>A task that completes when no upsert is being delivered any more.</returns>
    ValueTask PauseAllAsync(string? actor, CancellationToken cancellationToken);

    /// <summary>Resumes every configured entity type, recording who did it in the audit trail (one change per type resumed).</summary>
    /// <param name="actor">Who resumes them (a user name), kept in the audit trail; <see langword="null"/> when not known.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when every type is resumed.</returns>
    ValueTask ResumeAllAsync(string? actor, CancellationToken cancellationToken);

    /// <summary>
    /// Adds or replaces an entity type's configuration, recording who did it in the audit trail (see
    /// <see cref="PutConfigurationAsync(EntitySyncConfiguration, CancellationToken)"/>).
    /// </summary>
    /// <param name="configuration">The configuration.</param>
    /// <param name="actor">Who changes it (a user name), kept in the audit trail; <see langword="null"/> when not known.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the configuration is in effect.</returns>
    /// <exception cref="ArgumentException">The configuration is invalid (empty or invalid type, no target, unknown or repeated target); nothing was changed.</exception>
    ValueTask PutConfigurationAsync(EntitySyncConfiguration configuration, string? actor, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes an entity type's configuration, recording who did it in the audit trail (see
    /// <see cref="DeleteConfigurationAsync(string, CancellationToken)"/>).
    /// </summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="actor">Who deletes it (a user name), kept in the audit trail; <see langword="null"/> when not known.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when the type had a configuration.</returns>
    ValueTask<bool> DeleteConfigurationAsync(string entityType, string? actor, CancellationToken cancellationToken);
}
