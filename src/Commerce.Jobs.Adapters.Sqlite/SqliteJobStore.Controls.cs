using System.Text.Json;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>Operator state: one row per job an operator changed, one per entity type changed at run time.</summary>
internal sealed partial class SqliteJobStore
{
    public ValueTask<IReadOnlyList<JobControl>> GetJobControlsAsync(CancellationToken cancellationToken) =>
        UseAsync(0, static (store, _) =>
        {
            using var command = store.Command("SELECT job_name, paused, disabled, changed_at FROM job_controls;");
            using var reader = command.ExecuteReader();
            var controls = new List<JobControl>();
            while (reader.Read())
            {
                controls.Add(new JobControl(ReadText(reader, 0), reader.GetInt64(1) != 0, reader.GetInt64(2) != 0, new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero)));
            }

            return (IReadOnlyList<JobControl>)controls;
        }, cancellationToken, Commit.None);

    public ValueTask SetJobControlAsync(JobControl control, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        return Unit(UseAsync(control, static (store, control) =>
        {
            using var command = store.Command("""
                INSERT INTO job_controls (job_name, paused, disabled, changed_at) VALUES ($job, $paused, $disabled, $changed)
                ON CONFLICT (job_name) DO UPDATE SET paused = excluded.paused, disabled = excluded.disabled, changed_at = excluded.changed_at
                WHERE job_controls.changed_at < excluded.changed_at;
                """);
            command.Parameters.AddWithValue("$job", Stored(control.JobName));
            command.Parameters.AddWithValue("$paused", control.Paused ? 1 : 0);
            command.Parameters.AddWithValue("$disabled", control.Disabled ? 1 : 0);
            command.Parameters.AddWithValue("$changed", control.ChangedAt.UtcTicks);
            return command.ExecuteNonQuery();
        }, cancellationToken));
    }

    public ValueTask<IReadOnlyList<StoredEntitySyncConfiguration>> GetEntitySyncConfigurationsAsync(CancellationToken cancellationToken) =>
        UseAsync(0, static (store, _) =>
        {
            using var command = store.Command("SELECT entity_type, configuration, changed_at FROM entity_sync_configurations;");
            using var reader = command.ExecuteReader();
            var configurations = new List<StoredEntitySyncConfiguration>();
            while (reader.Read())
            {
                EntitySyncConfiguration? configuration = null;
                if (!reader.IsDBNull(1))
                {
                    try
                    {
                        configuration = JsonSerializer.Deserialize(reader.GetString(1), SqliteJsonContext.Default.EntitySyncConfiguration);
                    }
                    catch (JsonException)
                    {
                        continue;   // unreadable (a later version's shape): as if never changed, the declaration applies
                    }
                }

                configurations.Add(new StoredEntitySyncConfiguration(ReadText(reader, 0), configuration, new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero)));
            }

            return (IReadOnlyList<StoredEntitySyncConfiguration>)configurations;
        }, cancellationToken, Commit.None);

    public ValueTask SetEntitySyncConfigurationAsync(StoredEntitySyncConfiguration configuration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Unit(UseAsync(configuration, static (store, stored) =>
        {
            using var command = store.Command("""
                INSERT INTO entity_sync_configurations (entity_type, configuration, changed_at) VALUES ($type, $configuration, $changed)
                ON CONFLICT (entity_type) DO UPDATE SET configuration = excluded.configuration, changed_at = excluded.changed_at
                WHERE entity_sync_configurations.changed_at < excluded.changed_at;
                """);
            command.Parameters.AddWithValue("$type", Stored(stored.EntityType));
            command.Parameters.AddWithValue("$configuration", stored.Configuration is null ? DBNull.Value : JsonSerializer.Serialize(stored.Configuration, SqliteJsonContext.Default.EntitySyncConfiguration));
            command.Parameters.AddWithValue("$changed", stored.ChangedAt.UtcTicks);
            return command.ExecuteNonQuery();
        }, cancellationToken));
    }
}
