using Commerce.Jobs.EntitySync;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>A job's stored controls as tests read and write them: both fields, and the newest field's time.</summary>
internal sealed record JobControl(string JobName, bool Paused, bool Disabled, DateTimeOffset ChangedAt);

/// <summary>An entity type's stored configuration as tests read and write it: every field (or the deletion), and the newest field's time.</summary>
internal sealed record StoredEntitySyncConfiguration(string EntityType, EntitySyncConfiguration? Configuration, DateTimeOffset ChangedAt);

/// <summary>
/// Reads and writes the operator-state plane as whole job controls and entity-sync configurations (as another host, or
/// an older version, would have written them): every field stamped alike.
/// </summary>
internal static class OperatorStateViews
{
    public static ValueTask SetJobControlAsync(this IOperatorStateStore store, JobControl control, CancellationToken cancellationToken) =>
        store.SetAsync(
            OperatorStateKinds.Job,
            control.JobName,
            [
                new(OperatorStateValues.Paused, OperatorStateValues.Format(control.Paused), control.ChangedAt),
                new(OperatorStateValues.Disabled, OperatorStateValues.Format(control.Disabled), control.ChangedAt),
            ],
            cancellationToken);

    /// <summary>Every job's stored controls; a field never written reads false.</summary>
    public static async ValueTask<IReadOnlyList<JobControl>> GetJobControlsAsync(this IOperatorStateStore store, CancellationToken cancellationToken) =>
    [
        .. (await store.GetAsync(OperatorStateKinds.Job, cancellationToken)).Select(e => new JobControl(
            e.Name,
            e.Fields.Any(f => f.Name == OperatorStateValues.Paused && f.Value == "true"),
            e.Fields.Any(f => f.Name == OperatorStateValues.Disabled && f.Value == "true"),
            e.Fields.Max(f => f.ChangedAt))),
    ];

    public static ValueTask SetEntitySyncConfigurationAsync(this IOperatorStateStore store, StoredEntitySyncConfiguration stored, CancellationToken cancellationToken) =>
        store.SetAsync(
            OperatorStateKinds.EntitySync,
            stored.EntityType,
            [.. (stored.Configuration is null ? [EntitySyncFields.Deleted] : EntitySyncFields.All).Select(f => new OperatorStateField(f, EntitySyncFields.Value(stored.Configuration, f), stored.ChangedAt))],
            cancellationToken);

    /// <summary>Every stored configuration; a field never written reads as the configuration's default (no targets).</summary>
    public static async ValueTask<IReadOnlyList<StoredEntitySyncConfiguration>> GetEntitySyncConfigurationsAsync(this IOperatorStateStore store, CancellationToken cancellationToken) =>
    [
        .. (await store.GetAsync(OperatorStateKinds.EntitySync, cancellationToken)).Select(e =>
        {
            var configuration = new EntitySyncConfiguration { EntityType = e.Name, Targets = [] };
            foreach (var field in e.Fields.Where(f => f.Name != EntitySyncFields.Deleted))
            {
                Assert.True(EntitySyncFields.TryApply(ref configuration, field));
            }

            var deleted = e.Fields.Any(f => f.Name == EntitySyncFields.Deleted && f.Value == "true");
            return new StoredEntitySyncConfiguration(e.Name, deleted ? null : configuration, e.Fields.Max(f => f.ChangedAt));
        }),
    ];
}
