namespace Commerce.Jobs.Storage;

/// <summary>
/// The entity-sync role of a job store: the entity changes accepted for synchronization, held per target until the
/// target has them, and the highest version of each entity delivered to each target.
/// </summary>
/// <remarks>
/// Implementations are thread-safe. Entity types and target names compare case-insensitively, entity ids ordinally.
/// </remarks>
public interface IEntitySyncStore
{
    /// <summary>Holds accepted entity changes until each of <paramref name="targetNames"/> has them (entity synchronization).</summary>
    /// <param name="targetNames">The targets the changes are for; each change is held once per target.</param>
    /// <param name="changes">The changes, of one entity type or several.</param>
    /// <param name="repair">
    /// Whether the changes are repairs (read from the entity source by a full sync, a targeted-id sync or a
    /// reconciliation): a repair may be delivered again at the version the target already has, never below it. An
    /// incremental change (published) is never handed out at or below the delivered version.
    /// </param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>
    /// How many of <paramref name="changes"/> are held now for at least one target (one write for the whole call: all or
    /// none). A change ignored for every target — stale against the delivered one, or not after the held one (a
    /// duplicate) — is not counted, nor one replaced by a later change of the same list.
    /// </returns>
    /// <remarks>
    /// <para>
    /// For each (entity type, target, entity id) the store holds one change, the newest: a change replaces the held one
    /// when its <see cref="EntityChange.Version"/> is higher, or equal and it is a <see cref="EntityChangeKind.Delete"/>
    /// replacing an <see cref="EntityChangeKind.Upsert"/>; anything else (older, or the same version and kind again) is
    /// ignored. So a hundred edits of one entity are held as one, and an upsert and a delete of one id are never held
    /// together: the store grows with ids, not with changes.
    /// </para>
    /// <para>
    /// This order — by version, and on equal versions a delete after an upsert — is the one order of changes of the
    /// store: <see cref="CompleteEntityChangesAsync"/> settles the held change when it is not after the completed one.
    /// Entity types and target names compare case-insensitively, ids ordinally.
    /// </para>
    /// <para>
    /// A change that replaces the held one takes its repair mark with it. Replacing a held change that an owner has
    /// claimed keeps that owner's lease: nobody else claims the id until the owner completes or its lease ends, so one id
    /// is delivered by one owner at a time. Each write of a held change gives it a new <see cref="HeldEntityChange.Sequence"/>
    /// (claims read in that order).
    /// </para>
    /// </remarks>
    ValueTask<int> AddEntityChangesAsync(IReadOnlyCollection<string> targetNames, IReadOnlyList<EntityChange> changes, bool repair, CancellationToken cancellationToken);

    /// <summary>
    /// Claims up to <see cref="EntityChangeClaim.MaxChanges"/> held changes of an entity type for a target, in sequence order,
    /// that no owner holds under an unexpired lease; they are leased to <see cref="EntityChangeClaim.Owner"/> until
    /// <see cref="EntityChangeClaim.LeaseUntil"/>.
    /// </summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="targetName">The target.</param>
    /// <param name="claim">Who claims, how many, until when, and whether upserts are held back (paused).</param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <returns>The claimed changes, in sequence order; empty when none can be claimed now.</returns>
    /// <remarks>
    /// In the same transaction, a held change that is not after the entity's delivered one (an incremental change at or
    /// below the delivered version, a repair below it) is removed instead of handed out: a claim never hands out a change
    /// that would take the target back. With <see cref="EntityChangeClaim.HoldUpserts"/> only deletes are claimed.
    /// A change skipped before is claimable again only from the time its completion gave.
    /// </remarks>
    ValueTask<IReadOnlyList<HeldEntityChange>> ClaimEntityChangesAsync(string entityType, string targetName, EntityChangeClaim claim, CancellationToken cancellationToken);

    /// <summary>Settles claimed changes of an entity type for a target, each by its outcome, in one transaction.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="targetName">The target.</param>
    /// <param name="owner">The owner that claimed them; a completion for an id another owner holds now is ignored.</param>
    /// <param name="completions">The outcomes.</param>
    /// <param name="now">The owner's clock: the time recorded for deliveries and errors.</param>
    /// <param name="retrySkippedAt">When a skipped change may be claimed again.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the outcomes are stored.</returns>
    /// <remarks>
    /// <list type="bullet">
    /// <item><see cref="RecordStatus.Delivered"/>: the change becomes the entity's delivered one for the target (unless
    /// the recorded one comes after it: the delivered change only moves forward), with its kind and <paramref name="now"/>;
    /// the held change is removed unless it comes after the delivered one (replaced meanwhile: then only its lease
    /// ends). The type's delivered count grows by one, its last delivered version becomes the highest delivered and its last
    /// delivered time <paramref name="now"/>.</item>
    /// <item><see cref="RecordStatus.Skipped"/>: the lease ends; the held change, if it is still the one delivered, counts
    /// one more attempt with the error and waits until <paramref name="retrySkippedAt"/>. The skipped count grows.</item>
    /// <item><see cref="RecordStatus.PermanentFailure"/>: the held change is removed unless it comes after the failed one
    /// (the target will not get that change); the failed count grows and the error is the type's last one.</item>
    /// <item><see cref="RecordStatus.TransientFailure"/>: released, never attempted (a pause or a stop): the lease ends,
    /// nothing else changes.</item>
    /// </list>
    /// </remarks>
    ValueTask CompleteEntityChangesAsync(string entityType, string targetName, string owner, IReadOnlyList<EntityChangeCompletion> completions, DateTimeOffset now, DateTimeOffset retrySkippedAt, CancellationToken cancellationToken);

    /// <summary>Extends the leases an owner holds on an entity type's held changes for a target (a host still delivering them).</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="targetName">The target.</param>
    /// <param name="owner">The owner.</param>
    /// <param name="leaseUntil">The new end of the leases.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>How many leases were extended.</returns>
    ValueTask<int> RenewEntityLeasesAsync(string entityType, string targetName, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken);

    /// <summary>Gets the synchronization state of an entity type at a target, as every host sees it.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="targetName">The target.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>Held changes, delivered / skipped / failed counts since the type was configured, last delivery and last error.</returns>
    ValueTask<EntitySyncCounts> GetEntitySyncCountsAsync(string entityType, string targetName, CancellationToken cancellationToken);

    /// <summary>Gets the changes of an entity type held for a target: what is held now, for diagnostics and tests; delivery goes through claims (<see cref="ClaimEntityChangesAsync"/>).</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="targetName">The target.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The held changes (at most one per id: the newest, upsert or delete), in no particular order.</returns>
    ValueTask<IReadOnlyList<EntityChange>> GetEntityChangesAsync(string entityType, string targetName, CancellationToken cancellationToken);

    /// <summary>Gets the highest version of each entity of a type delivered to a target (deletes included).</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="targetName">The target.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The delivered version by entity id (ids compared ordinally).</returns>
    ValueTask<IReadOnlyDictionary<string, long>> GetDeliveredEntityVersionsAsync(string entityType, string targetName, CancellationToken cancellationToken);

    /// <summary>Forgets the tombstones of an entity type delivered before a time: the delivered versions of deletes, at every target.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="deliveredBefore">Tombstones delivered before this time are removed.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>How many tombstones were removed.</returns>
    /// <remarks>
    /// Delivered versions of upserts stay, and so do those whose kind the store does not know (recorded before it kept
    /// kinds). Once a delete's tombstone is gone, nothing remembers that the entity was deleted at that version: an upsert
    /// older than the delete that arrives after that (published late, or read by a full sync from a source that still has
    /// it) is delivered and brings the entity back at the target. Nightly Maintenance purges with each type's
    /// <c>EntitySyncOptions.TombstoneRetention</c>.
    /// </remarks>
    ValueTask<int> PurgeEntityTombstonesAsync(string entityType, DateTimeOffset deliveredBefore, CancellationToken cancellationToken);

    /// <summary>Forgets an entity type's synchronization state: its held changes and delivered versions, for one target or all.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="targetName">The target, or <see langword="null"/> for every target.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the state is removed.</returns>
    ValueTask ClearEntitySyncAsync(string entityType, string? targetName, CancellationToken cancellationToken);
}
