using Npgsql;

namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>
/// The audit trail of operators' changes: one row per change, the newest 100 kept per (kind, name). A name is keyed by the
/// SHA-256 of its case-insensitive key, as in the operator state.
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    public async ValueTask AppendChangeAsync(OperatorChange change, CancellationToken cancellationToken)
    {
        OperatorChangeArguments.Check(change);
        var kind = StoredText.Escape(change.Kind);
        var nameKey = IdHash(Key(change.Name));
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                using (var insert = new NpgsqlCommand(_sql.AppendChange, connection, transaction))
                {
                    insert.Parameters.Add(Param(kind));
                    insert.Parameters.Add(Param(nameKey));
                    insert.Parameters.Add(Param(StoredText.Escape(change.Name)));
                    insert.Parameters.Add(Param(StoredText.Escape(change.Action)));
                    insert.Parameters.Add(Param(OperatorChangeArguments.Microseconds(change.ChangedAt).UtcDateTime));
                    insert.Parameters.Add(Text(StoredText.Escape(change.ChangedBy)));
                    insert.Parameters.Add(Param(OperatorChangeValuesJson.Write(change.Values)));
                    await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                using (var prune = new NpgsqlCommand(_sql.PruneChanges, connection, transaction))
                {
                    prune.Parameters.Add(Param(kind));
                    prune.Parameters.Add(Param(nameKey));
                    prune.Parameters.Add(Param((long)OperatorChangeArguments.KeptPerName));
                    await prune.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask<IReadOnlyList<OperatorChange>> GetChangesAsync(string kind, string name, int limit, CancellationToken cancellationToken)
    {
        OperatorChangeArguments.Check(kind, name, limit);
        using var command = await CreateCommandAsync(_sql.GetChanges, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(StoredText.Escape(kind)));
        command.Parameters.Add(Param(IdHash(Key(name))));
        command.Parameters.Add(Param((long)limit));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var changes = new List<OperatorChange>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            changes.Add(new OperatorChange(
                kind,
                ReadText(reader, 0),
                ReadText(reader, 1),
                reader.GetFieldValue<DateTimeOffset>(2),
                ReadTextOrNull(reader, 3),
                OperatorChangeValuesJson.Read(reader.GetString(4))));
        }

        return changes;
    }
}
