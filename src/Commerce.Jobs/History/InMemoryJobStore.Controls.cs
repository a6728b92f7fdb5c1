using Commerce.Jobs.Storage;

namespace Commerce.Jobs.History;

/// <summary>The in-memory store's operator state: one entry per job and per entity type, the last written.</summary>
internal sealed partial class InMemoryJobStore
{
    private readonly Dictionary<string, JobControl> _controls = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, StoredEntitySyncConfiguration> _entitySyncConfigurations = new(StringComparer.OrdinalIgnoreCase);

    public ValueTask<IReadOnlyList<JobControl>> GetJobControlsAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<JobControl>>([.. _controls.Values]);
        }
    }

    public ValueTask SetJobControlAsync(JobControl control, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        lock (_gate)
        {
            if (!_controls.TryGetValue(control.JobName, out var stored) || stored.ChangedAt < control.ChangedAt)
            {
                _controls[control.JobName] = control;
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<StoredEntitySyncConfiguration>> GetEntitySyncConfigurationsAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return ValueTask.FromResult<IReadOnlyList<StoredEntitySyncConfiguration>>([.. _entitySyncConfigurations.Values]);
        }
    }

    public ValueTask SetEntitySyncConfigurationAsync(StoredEntitySyncConfiguration configuration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        lock (_gate)
        {
            if (!_entitySyncConfigurations.TryGetValue(configuration.EntityType, out var stored) || stored.ChangedAt < configuration.ChangedAt)
            {
                _entitySyncConfigurations[configuration.EntityType] = configuration;
            }
        }

        return ValueTask.CompletedTask;
    }
}
