namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>The audit trail of operators' changes: one row per change, the newest 100 kept per (kind, name).</summary>
internal sealed partial class SqliteJobStore
{
    public ValueTask AppendChangeAsync(OperatorChange change, CancellationToken cancellationToken)
    {
        OperatorChangeArguments.Check(change);
        var values = OperatorChangeValuesJson.Write(change.Values);
        return Unit(UseAsync((change, values), static (store, args) =>
        {
            using var transaction = store._connection.BeginTransaction();
            using (var insert = store.Command("""
                INSERT INTO operator_changes (kind, name, action, changed_at, changed_by, change_values)
                VALUES ($kind, $name, $action, $changed, $by, $values);
                """, transaction))
            {
                insert.Parameters.AddWithValue("$kind", Stored(args.change.Kind));
                insert.Parameters.AddWithValue("$name", Stored(args.change.Name));
                insert.Parameters.AddWithValue("$action", Stored(args.change.Action));
                insert.Parameters.AddWithValue("$changed", OperatorChangeArguments.Microseconds(args.change.ChangedAt).UtcTicks);
                insert.Parameters.AddWithValue("$by", Stored(args.change.ChangedBy));
                insert.Parameters.AddWithValue("$values", args.values);
                insert.ExecuteNonQuery();
            }

            // The newest kept, by time then append order; older ones of this (kind, name) dropped.
            using (var prune = store.Command("""
                DELETE FROM operator_changes WHERE kind = $kind AND name = $name AND seq NOT IN (
                    SELECT seq FROM operator_changes WHERE kind = $kind AND name = $name
                    ORDER BY changed_at DESC, seq DESC LIMIT $kept);
                """, transaction))
            {
                prune.Parameters.AddWithValue("$kind", Stored(args.change.Kind));
                prune.Parameters.AddWithValue("$name", Stored(args.change.Name));
                prune.Parameters.AddWithValue("$kept", OperatorChangeArguments.KeptPerName);
                prune.ExecuteNonQuery();
            }

            transaction.Commit();
            return 0;
        }, cancellationToken));
    }

    public ValueTask<IReadOnlyList<OperatorChange>> GetChangesAsync(string kind, string name, int limit, CancellationToken cancellationToken)
    {
        OperatorChangeArguments.Check(kind, name, limit);
        return UseAsync((kind, name, limit), static (store, args) =>
        {
            using var command = store.Command("""
                SELECT name, action, changed_at, changed_by, change_values FROM operator_changes
                WHERE kind = $kind AND name = $name ORDER BY changed_at DESC, seq DESC LIMIT $limit;
                """);
            command.Parameters.AddWithValue("$kind", Stored(args.kind));
            command.Parameters.AddWithValue("$name", Stored(args.name));
            command.Parameters.AddWithValue("$limit", args.limit);
            using var reader = command.ExecuteReader();
            var changes = new List<OperatorChange>();
            while (reader.Read())
            {
                changes.Add(new OperatorChange(
                    args.kind,
                    ReadText(reader, 0),
                    ReadText(reader, 1),
                    new DateTimeOffset(reader.GetInt64(2), TimeSpan.Zero),
                    ReadTextOrNull(reader, 3),
                    OperatorChangeValuesJson.Read(reader.GetString(4))));
            }

            return (IReadOnlyList<OperatorChange>)changes;
        }, cancellationToken, Commit.None);
    }
}
