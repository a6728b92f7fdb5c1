namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>Job controls: one row per job an operator changed.</summary>
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
                controls.Add(new JobControl(reader.GetString(0), reader.GetInt64(1) != 0, reader.GetInt64(2) != 0, new DateTimeOffset(reader.GetInt64(3), TimeSpan.Zero)));
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
                ON CONFLICT (job_name) DO UPDATE SET paused = excluded.paused, disabled = excluded.disabled, changed_at = excluded.changed_at;
                """);
            command.Parameters.AddWithValue("$job", control.JobName);
            command.Parameters.AddWithValue("$paused", control.Paused ? 1 : 0);
            command.Parameters.AddWithValue("$disabled", control.Disabled ? 1 : 0);
            command.Parameters.AddWithValue("$changed", control.ChangedAt.UtcTicks);
            return command.ExecuteNonQuery();
        }, cancellationToken));
    }
}
