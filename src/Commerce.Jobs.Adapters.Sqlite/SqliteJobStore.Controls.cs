using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>Operator state: one row per (kind, name, field), each the newest change of that field.</summary>
internal sealed partial class SqliteJobStore
{
    public ValueTask<IReadOnlyList<OperatorStateEntry>> GetAsync(string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        return UseAsync(kind, static (store, kind) =>
        {
            // One entry per name as the table compares them (NOCASE): rows of a name are numbered alike, newest first.
            using var command = store.Command("""
                SELECT dense_rank() OVER (ORDER BY name) AS entry, name, field, value, changed_at
                FROM operator_state WHERE kind = $kind
                ORDER BY entry, changed_at DESC;
                """);
            command.Parameters.AddWithValue("$kind", Stored(kind));
            using var reader = command.ExecuteReader();
            var entries = new List<OperatorStateEntry>();
            List<OperatorStateField>? fields = null;
            var current = 0L;
            while (reader.Read())
            {
                var entry = reader.GetInt64(0);
                if (fields is null || entry != current)
                {
                    current = entry;
                    fields = [];
                    entries.Add(new OperatorStateEntry(kind, ReadText(reader, 1), fields));
                }

                fields.Add(new OperatorStateField(ReadText(reader, 2), ReadTextOrNull(reader, 3), new DateTimeOffset(reader.GetInt64(4), TimeSpan.Zero)));
            }

            return (IReadOnlyList<OperatorStateEntry>)entries;
        }, cancellationToken, Commit.None);
    }

    public ValueTask SetAsync(string kind, string name, IReadOnlyList<OperatorStateField> fields, CancellationToken cancellationToken)
    {
        OperatorStateArguments.Check(kind, name, fields);

        return Unit(UseAsync((kind, name, fields), static (store, args) =>
        {
            using var transaction = store._connection.BeginTransaction();

            // Newest wins per field; a tie keeps the stored one.
            using var command = store.Command("""
                INSERT INTO operator_state (kind, name, field, value, changed_at) VALUES ($kind, $name, $field, $value, $changed)
                ON CONFLICT (kind, name, field) DO UPDATE SET name = excluded.name, value = excluded.value, changed_at = excluded.changed_at
                WHERE excluded.changed_at > operator_state.changed_at;
                """, transaction);
            command.Parameters.AddWithValue("$kind", Stored(args.kind));
            command.Parameters.AddWithValue("$name", Stored(args.name));
            var field = command.Parameters.Add("$field", Microsoft.Data.Sqlite.SqliteType.Text);
            var value = command.Parameters.Add("$value", Microsoft.Data.Sqlite.SqliteType.Text);
            var changed = command.Parameters.Add("$changed", Microsoft.Data.Sqlite.SqliteType.Integer);
            foreach (var written in args.fields)
            {
                field.Value = Stored(written.Name);
                value.Value = Stored(written.Value);
                changed.Value = written.ChangedAt.UtcTicks - (written.ChangedAt.UtcTicks % 10);   // to the microsecond, as every store keeps it
                command.ExecuteNonQuery();
            }

            transaction.Commit();
            return 0;
        }, cancellationToken));
    }
}
