namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>Job controls: one row per job an operator changed, read by every host.</summary>
internal sealed partial class PostgreSqlJobStore
{
    public async ValueTask<IReadOnlyList<JobControl>> GetJobControlsAsync(CancellationToken cancellationToken)
    {
        using var command = await CreateCommandAsync(_sql.GetJobControls, cancellationToken).ConfigureAwait(false);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var controls = new List<JobControl>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            controls.Add(new JobControl(reader.GetString(0), reader.GetBoolean(1), reader.GetBoolean(2), reader.GetFieldValue<DateTimeOffset>(3)));
        }

        return controls;
    }

    public async ValueTask SetJobControlAsync(JobControl control, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(control);
        using var command = await CreateCommandAsync(_sql.SetJobControl, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(control.JobName)));
        command.Parameters.Add(Param(control.JobName));
        command.Parameters.Add(Param(control.Paused));
        command.Parameters.Add(Param(control.Disabled));
        command.Parameters.Add(Param(control.ChangedAt.ToUniversalTime()));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
