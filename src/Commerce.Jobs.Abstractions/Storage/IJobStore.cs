using Commerce.Jobs.Storage;

namespace Commerce.Jobs;

/// <summary>
/// Holds what must outlive a run: run history with logs, the records a job skipped or failed with their attempt counts
/// and errors, and the entity changes accepted for synchronization until their targets have them.
/// </summary>
/// <remarks>
/// The engine registers an in-memory store by default; durable stores come in adapter packages.
/// Implementations are thread-safe.
/// </remarks>
public partial interface IJobStore : IOperatorStateStore
{
    /// <summary>Adds a finished run to its job's history.</summary>
    /// <param name="run">The run.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the run is stored.</returns>
    ValueTask AddRunAsync(JobRun run, CancellationToken cancellationToken);

    /// <summary>Gets a job's most recent runs, newest first.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="maxRuns">The most runs to return.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The runs.</returns>
    ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken);

    /// <summary>Purges a job's history: keeps at most <paramref name="keepLast"/> runs and none that ended before <paramref name="endedBefore"/>.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="keepLast">The most runs to keep.</param>
    /// <param name="endedBefore">Runs that ended before this are removed.</param>
    /// <param name="cancellationToken">Cancels the purge.</param>
    /// <returns>How many runs were removed.</returns>
    ValueTask<int> PurgeRunsAsync(string jobName, int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken);

    /// <summary>Records that records were skipped or failed permanently: their attempt count goes up by one and the error is replaced.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="failures">The records; <see cref="RecordFailure.Attempts"/> is ignored and counted by the store.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the failures are stored (one write for the whole list).</returns>
    ValueTask AddRecordFailuresAsync(string jobName, IReadOnlyList<RecordFailure> failures, CancellationToken cancellationToken);

    /// <summary>Forgets the failures of records that have since been delivered.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="recordIds">The delivered records' ids; ids with no failure are ignored.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the failures are removed.</returns>
    ValueTask RemoveRecordFailuresAsync(string jobName, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken);

    /// <summary>Gets the records of a job that are skipped or failed, with attempt counts and last errors.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The failures, in no particular order.</returns>
    ValueTask<IReadOnlyList<RecordFailure>> GetRecordFailuresAsync(string jobName, CancellationToken cancellationToken);

    /// <summary>Holds accepted entity changes until each of <paramref name="targetNames"/> has them (entity synchronization).</summary>
    /// <param name="targetNames">The targets the changes are for; each change is held once per target.</param>
    /// <param name="changes">The changes, of one entity type or several.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the changes are stored (one write for the whole call: all or none).</returns>
    /// <remarks>
    /// For each (entity type, target, entity id, <see cref="EntityChange.Kind"/>) the store keeps only the change with the
    /// highest <see cref="EntityChange.Version"/>: a newer change replaces the held one, an older or equal one is ignored.
    /// Adding a <see cref="EntityChangeKind.Delete"/> also removes the held upsert of the same (type, target, id) with a
    /// lower version. So a hundred edits of one entity are held as one: the store grows with ids, not with changes.
    /// Entity types and target names compare case-insensitively, ids ordinally.
    /// </remarks>
    ValueTask AddEntityChangesAsync(IReadOnlyCollection<string> targetNames, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken);

    /// <summary>Records that changes were delivered to a target.</summary>
    /// <param name="targetName">The target.</param>
    /// <param name="changes">The delivered changes.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the delivery is stored (one write for the whole list).</returns>
    /// <remarks>
    /// For each change, removes the held change of the same (type, target, id, kind) whose version is at most the
    /// delivered one (a newer held change stays), and raises the entity's delivered version for the target to the
    /// delivered one if it is higher. The delivered version is kept after a delete too (a tombstone), so an older
    /// upsert read by a full sync is never delivered after it.
    /// </remarks>
    ValueTask MarkEntityChangesDeliveredAsync(string targetName, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken);

    /// <summary>Forgets held changes a target will not get: superseded by a newer change of their entity, or rejected permanently.</summary>
    /// <param name="targetName">The target.</param>
    /// <param name="changes">The changes to forget.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the changes are removed (one write for the whole list).</returns>
    /// <remarks>
    /// For each change, removes the held change of the same (type, target, id, kind) whose version is at most the given
    /// one; a newer held change stays. Delivered versions are left alone.
    /// </remarks>
    ValueTask RemoveEntityChangesAsync(string targetName, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken);

    /// <summary>Gets the changes of an entity type held for a target (read when the host starts, to deliver what was accepted before).</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="targetName">The target.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The held changes (at most one upsert and one delete per id), in no particular order.</returns>
    ValueTask<IReadOnlyList<EntityChange>> GetEntityChangesAsync(string entityType, string targetName, CancellationToken cancellationToken);

    /// <summary>Gets the highest version of each entity of a type delivered to a target (deletes included).</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="targetName">The target.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The delivered version by entity id (ids compared ordinally).</returns>
    ValueTask<IReadOnlyDictionary<string, long>> GetDeliveredEntityVersionsAsync(string entityType, string targetName, CancellationToken cancellationToken);

    /// <summary>Forgets an entity type's synchronization state: its held changes and delivered versions, for one target or all.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="targetName">The target, or <see langword="null"/> for every target.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the state is removed.</returns>
    ValueTask ClearEntitySyncAsync(string entityType, string? targetName, CancellationToken cancellationToken);
}
