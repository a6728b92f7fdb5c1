using System.Text.Json;
using Commerce.Jobs.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>Operator state: one row per job an operator changed and per entity type changed at run time, read by every host.</summary>
internal sealed partial class PostgreSqlJobStore
{
    /// <summary>Configurations as <c>jsonb</c>: web defaults, every string escaped as <see cref="StoredText"/> says.</summary>
    private static readonly JsonSerializerOptions s_configurationJson = new(JsonSerializerOptions.Web) { Converters = { new StoredTextJsonConverter() } };

    public async ValueTask<IReadOnlyList<JobControl>> GetJobControlsAsync(CancellationToken cancellationToken)
    {
        using var command = await CreateCommandAsync(_sql.GetJobControls, cancellationToken).ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var controls = new List<JobControl>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            controls.Add(new JobControl(ReadText(reader, 0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return controls;
    }

    public async ValueTask SetJobControlAsync(JobControl control, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        using var command = await CreateCommandAsync(_sql.SetJobControl, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(control.JobName)));
        command.Parameters.Add(Param(StoredText.Escape(control.JobName)));
        command.Parameters.Add(Param(control.Paused));
        command.Parameters.Add(Param(control.Disabled));
        command.Parameters.Add(Param(control.ChangedAt.ToUniversalTime()));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<StoredEntitySyncConfiguration>> GetEntitySyncConfigurationsAsync(CancellationToken cancellationToken)
    {
        using var command = await CreateCommandAsync(_sql.GetEntitySyncConfigurations, cancellationToken).ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var configurations = new List<StoredEntitySyncConfiguration>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            EntitySyncConfiguration? configuration = null;
            if (!reader.IsDBNull(1))
            {
                try
                {
                    configuration = JsonSerializer.Deserialize<EntitySyncConfiguration>(reader.GetString(1), s_configurationJson);
                }
                catch (JsonException)
                {
                    continue;   // unreadable (a later version's shape): as if never changed, the declaration applies
                }
            }

            configurations.Add(new StoredEntitySyncConfiguration(ReadText(reader, 0), configuration, reader.GetFieldValue<DateTimeOffset>(2)));
        }

        return configurations;
    }

    public async ValueTask SetEntitySyncConfigurationAsync(StoredEntitySyncConfiguration configuration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        using var command = await CreateCommandAsync(_sql.SetEntitySyncConfiguration, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(configuration.EntityType)));
        command.Parameters.Add(Param(StoredText.Escape(configuration.EntityType)));
        command.Parameters.Add(new NpgsqlParameter<string?>
        {
            TypedValue = configuration.Configuration is null ? null : JsonSerializer.Serialize(configuration.Configuration, s_configurationJson),
            NpgsqlDbType = NpgsqlDbType.Jsonb,
        });
        command.Parameters.Add(Param(configuration.ChangedAt.ToUniversalTime()));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
