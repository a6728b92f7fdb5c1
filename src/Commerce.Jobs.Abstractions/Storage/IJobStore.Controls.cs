namespace Commerce.Jobs.Storage;

/// <summary>
/// Operator state, shared by every host of the application: jobs paused or disabled, and entity-sync configurations
/// changed at run time. Hosts write them late and out of order, so a write never replaces a newer one: the newest
/// change wins on every host. Times are kept to the microsecond.
/// </summary>
public partial interface IJobStore
{
    /// <summary>Gets every job's stored operator state.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>One entry per job an operator paused, resumed, disabled or enabled; none for jobs never touched.</returns>
    ValueTask<IReadOnlyList<JobControl>> GetJobControlsAsync(CancellationToken cancellationToken);

    /// <summary>Stores a job's operator state, replacing what was stored for it unless that is as new or newer (<see cref="JobControl.ChangedAt"/>).</summary>
    /// <param name="control">The job's state.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the state is stored.</returns>
    ValueTask SetJobControlAsync(JobControl control, CancellationToken cancellationToken);

    /// <summary>Gets every entity-sync configuration changed at run time, deleted ones included.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>One entry per entity type changed at run time; none for types only declared in code.</returns>
    ValueTask<IReadOnlyList<StoredEntitySyncConfiguration>> GetEntitySyncConfigurationsAsync(CancellationToken cancellationToken);

    /// <summary>Stores an entity type's configuration (or its deletion), replacing what was stored for the type unless that is as new or newer.</summary>
    /// <param name="configuration">The type's configuration.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when it is stored.</returns>
    ValueTask SetEntitySyncConfigurationAsync(StoredEntitySyncConfiguration configuration, CancellationToken cancellationToken);
}
