using Commerce.Jobs.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>
/// Operator state: one row per (kind, name, field), each the newest change of that field, read by every host. A name is
/// keyed by the SHA-256 of its case-insensitive key (any length fits the index).
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    public async ValueTask<IReadOnlyList<OperatorStateEntry>> GetAsync(string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        using var command = await CreateCommandAsync(_sql.GetOperatorState, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(StoredText.Escape(kind)));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        var entries = new List<OperatorStateEntry>();
        List<OperatorStateField>? fields = null;
        byte[]? current = null;
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // Rows of one name come together, newest first: the entry takes the newest row's spelling.
            var key = reader.GetFieldValue<byte[]>(0);
            if (fields is null || !key.AsSpan().SequenceEqual(current))
            {
                current = key;
                fields = [];
                entries.Add(new OperatorStateEntry(kind, ReadText(reader, 1), fields));
            }

            fields.Add(new OperatorStateField(ReadText(reader, 2), ReadTextOrNull(reader, 3), reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return entries;
    }

    public async ValueTask SetAsync(string kind, string name, IReadOnlyList<OperatorStateField> fields, CancellationToken cancellationToken)
    {
        OperatorStateArguments.Check(kind, name, fields);
        if (fields.Count == 0)
        {
            return;
        }

        var names = new string[fields.Count];
        var values = new string?[fields.Count];
        var times = new DateTime[fields.Count];
        for (var i = 0; i < fields.Count; i++)
        {
            var field = fields[i];
            names[i] = StoredText.Escape(field.Name);
            values[i] = StoredText.Escape(field.Value);
            times[i] = field.ChangedAt.UtcDateTime;
        }

        using var command = await CreateCommandAsync(_sql.SetOperatorState, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(StoredText.Escape(kind)));
        command.Parameters.Add(Param(IdHash(Key(name))));
        command.Parameters.Add(Param(StoredText.Escape(name)));
        command.Parameters.Add(Param(names));
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = times, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
