using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Commerce.Jobs.Storage;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>
/// Held entity changes (one per entity and target, the newest) and delivered versions with their kind and time; changes
/// of one id are ordered by version, and on equal versions a delete after an upsert (the row <c>(version, kind)</c>:
/// <see cref="EntityChangeKind.Delete"/> is stored as 1, <see cref="EntityChangeKind.Upsert"/> as 0). Writers of one
/// (entity type, target) serialize on its transaction-level advisory lock, so a change added on one host and delivered on
/// another are applied one after the other, as in memory. Payloads are stored as <c>jsonb</c> and come back as <see cref="JsonElement"/>.
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    private const char KeySeparator = '\u001f';

    public async ValueTask AddEntityChangesAsync(IReadOnlyCollection<string> targetNames, IReadOnlyList<EntityChange> changes, bool repair, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targetNames);
        ArgumentNullException.ThrowIfNull(changes);
        if (targetNames.Count == 0 || changes.Count == 0)
        {
            return;
        }

        // Apply the changes in order to each (type, target, id) slot, starting from the held versions read under the locks;
        // then write only the slots that changed. The result is the in-memory store's, whatever the order of the list.
        var slots = new Dictionary<(string Entity, string Target, string Id), HeldSlot>();
        var targetKeys = targetNames.Select(Key).Distinct(StringComparer.Ordinal).ToArray();
        foreach (var target in targetKeys)
        {
            foreach (var change in changes)
            {
                ArgumentNullException.ThrowIfNull(change);
                slots.TryAdd((Key(change.EntityType), target, StoredText.Escape(change.Id)), new HeldSlot());
            }
        }

        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                using (var read = new NpgsqlBatch(connection, transaction))
                {
                    read.BatchCommands.Add(LockCommand(slots.Keys.Select(k => string.Concat(k.Entity, KeySeparator.ToString(), k.Target))));
                    var held = new NpgsqlBatchCommand(_sql.GetHeldVersions);
                    held.Parameters.Add(Param(slots.Keys.Select(k => k.Entity).ToArray()));
                    held.Parameters.Add(Param(slots.Keys.Select(k => k.Target).ToArray()));
                    held.Parameters.Add(Hashes(slots.Keys.Select(k => k.Id).ToArray()));
                    read.BatchCommands.Add(held);
                    var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                    await using var readerScope = reader.ConfigureAwait(false);
                    await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
                    while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                    {
                        var slot = slots[(reader.GetString(0), reader.GetString(1), reader.GetString(2))];
                        slot.Held = new HeldVersion(reader.GetInt64(4), (EntityChangeKind)reader.GetInt16(3), null);
                    }
                }

                foreach (var target in targetKeys)
                {
                    foreach (var change in changes)
                    {
                        slots[(Key(change.EntityType), target, StoredText.Escape(change.Id))].Apply(change);
                    }
                }

                // A slot whose held change is now one of the list's is written over its row (one row per id, replaced in place).
                var put = new HeldRows();
                foreach (var ((entity, target, id), slot) in slots)
                {
                    Collect(entity, target, id, slot.Held, put);
                }

                if (put.Count > 0)
                {
                    using var write = new NpgsqlBatch(connection, transaction);
                    var command = new NpgsqlBatchCommand(_sql.PutHeld);
                    command.Parameters.Add(Param(put.Entities.ToArray()));
                    command.Parameters.Add(Param(put.Targets.ToArray()));
                    command.Parameters.Add(Param(put.Ids.ToArray()));
                    command.Parameters.Add(Param(put.Kinds.ToArray()));
                    command.Parameters.Add(Param(put.Versions.ToArray()));
                    command.Parameters.Add(Param(put.Types.ToArray()));
                    command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. put.Payloads], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
                    command.Parameters.Add(Hashes(put.Ids));
                    write.BatchCommands.Add(command);
                    await write.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public ValueTask MarkEntityChangesDeliveredAsync(string targetName, IReadOnlyList<EntityChange> changes, DateTimeOffset deliveredAt, CancellationToken cancellationToken) =>
        SettleAsync(targetName, changes, deliveredAt, cancellationToken);

    public ValueTask RemoveEntityChangesAsync(string targetName, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken) =>
        SettleAsync(targetName, changes, null, cancellationToken);

    /// <summary>Removes held changes of one target under its locks; when <paramref name="deliveredAt"/> is given, also raises the delivered versions.</summary>
    private async ValueTask SettleAsync(string targetName, IReadOnlyList<EntityChange> changes, DateTimeOffset? deliveredAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targetName);
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            return;
        }

        var target = Key(targetName);
        var (entities, ids, kinds, versions) = Columns(changes);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        using var batch = _dataSource.CreateBatch();
        batch.BatchCommands.Add(LockCommand(entities.Select(e => string.Concat(e, KeySeparator.ToString(), target))));
        batch.BatchCommands.Add(RemoveHeldCommand(target, entities, ids, kinds, versions));
        if (deliveredAt is { } at)
        {
            var raise = new NpgsqlBatchCommand(_sql.RaiseDelivered);
            raise.Parameters.Add(Param(target));
            raise.Parameters.Add(Param(entities));
            raise.Parameters.Add(Param(ids));
            raise.Parameters.Add(Param(versions));
            raise.Parameters.Add(Hashes(ids));
            raise.Parameters.Add(Param(kinds));
            raise.Parameters.Add(Param(at.ToUniversalTime()));
            batch.BatchCommands.Add(raise);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<EntityChange>> GetEntityChangesAsync(string entityType, string targetName, CancellationToken cancellationToken)
    {
        using var command = await CreateCommandAsync(_sql.GetHeld, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(entityType)));
        command.Parameters.Add(Param(Key(targetName)));
        var changes = new List<EntityChange>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var type = ReadText(reader, 0);
            var id = ReadText(reader, 1);
            var version = reader.GetInt64(3);
            if ((EntityChangeKind)reader.GetInt16(2) == EntityChangeKind.Delete)
            {
                changes.Add(EntityChange.Delete(type, id, version));
            }
            else
            {
                object? payload = null;
                if (!reader.IsDBNull(4))
                {
                    using var document = JsonDocument.Parse(UnescapeJson(reader.GetString(4)));
                    payload = document.RootElement.Clone();
                }

                changes.Add(EntityChange.Upsert(type, id, payload, version));
            }
        }

        return changes;
    }

    public async ValueTask<IReadOnlyDictionary<string, long>> GetDeliveredEntityVersionsAsync(string entityType, string targetName, CancellationToken cancellationToken)
    {
        using var command = await CreateCommandAsync(_sql.GetDelivered, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(entityType)));
        command.Parameters.Add(Param(Key(targetName)));
        var delivered = new Dictionary<string, long>(StringComparer.Ordinal);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            delivered[ReadText(reader, 0)] = reader.GetInt64(1);
        }

        return delivered;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<HeldEntityChange>> ClaimEntityChangesAsync(string entityType, string targetName, EntityChangeClaim claim, CancellationToken cancellationToken) =>
        throw new NotImplementedException("Being built: claims of held entity changes.");

    /// <inheritdoc />
    public ValueTask CompleteEntityChangesAsync(string entityType, string targetName, string owner, IReadOnlyList<EntityChangeCompletion> completions, DateTimeOffset now, DateTimeOffset retrySkippedAt, CancellationToken cancellationToken) =>
        throw new NotImplementedException("Being built: completions of held entity changes.");

    /// <inheritdoc />
    public ValueTask<int> RenewEntityLeasesAsync(string entityType, string targetName, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken) =>
        throw new NotImplementedException("Being built: leases of held entity changes.");

    /// <inheritdoc />
    public ValueTask<EntitySyncCounts> GetEntitySyncCountsAsync(string entityType, string targetName, CancellationToken cancellationToken) =>
        throw new NotImplementedException("Being built: entity sync counts.");

    public async ValueTask<int> PurgeEntityTombstonesAsync(string entityType, DateTimeOffset deliveredBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        using var command = await CreateCommandAsync(_sql.PurgeTombstones, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(entityType)));
        command.Parameters.Add(Param(deliveredBefore.ToUniversalTime()));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask ClearEntitySyncAsync(string entityType, string? targetName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        using var batch = _dataSource.CreateBatch();
        foreach (var sql in new[] { _sql.ClearHeld, _sql.ClearDelivered })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(Param(Key(entityType)));
            command.Parameters.Add(Text(targetName is null ? null : Key(targetName)));
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static (string[] Entities, string[] Ids, short[] Kinds, long[] Versions) Columns(IReadOnlyList<EntityChange> changes)
    {
        var entities = new string[changes.Count];
        var ids = new string[changes.Count];
        var kinds = new short[changes.Count];
        var versions = new long[changes.Count];
        for (var i = 0; i < changes.Count; i++)
        {
            var change = changes[i];
            ArgumentNullException.ThrowIfNull(change);
            entities[i] = Key(change.EntityType);
            ids[i] = StoredText.Escape(change.Id);
            kinds[i] = (short)change.Kind;
            versions[i] = change.Version;
        }

        return (entities, ids, kinds, versions);
    }

    private NpgsqlBatchCommand LockCommand(IEnumerable<string> keys)
    {
        var command = new NpgsqlBatchCommand(_sql.LockEntityTargets);
        command.Parameters.Add(Param(keys.Distinct(StringComparer.Ordinal).ToArray()));
        return command;
    }

    private NpgsqlBatchCommand RemoveHeldCommand(string target, string[] entities, string[] ids, short[] kinds, long[] versions)
    {
        var command = new NpgsqlBatchCommand(_sql.RemoveHeldUpTo);
        command.Parameters.Add(Param(target));
        command.Parameters.Add(Param(entities));
        command.Parameters.Add(Hashes(ids));
        command.Parameters.Add(Param(kinds));
        command.Parameters.Add(Param(versions));
        return command;
    }

    private static void Collect(string entity, string target, string id, HeldVersion? held, HeldRows put)
    {
        if (held is { Change: { } change })
        {
            put.Add(entity, target, id, change.Kind, change.Version, StoredText.Escape(change.EntityType), change.Payload switch
            {
                null => null,
                JsonElement element => EscapeJson(element.GetRawText()),   // as given: re-serializing refuses a lone surrogate escape
                var payload => EscapeJson(JsonSerializer.Serialize(payload, payload.GetType(), JsonSerializerOptions.Web)),
            });
        }
    }

    /// <summary>
    /// A payload as <c>jsonb</c> holds it: <c>jsonb</c> refuses <c>\u0000</c> and a lone surrogate escape in a string, so
    /// when a payload may have one (or has the escape character) its strings and property names are escaped as
    /// <see cref="StoredText"/> says; other payloads are stored as they are.
    /// </summary>
    private static string EscapeJson(string json) =>
        json.Contains(StoredText.EscapeChar, StringComparison.Ordinal)
        || json.Contains("\\u0000", StringComparison.Ordinal)
        || json.Contains("\\uE000", StringComparison.OrdinalIgnoreCase)
        || json.Contains("\\uD", StringComparison.OrdinalIgnoreCase)   // a surrogate escape, maybe unpaired
            ? RewriteStrings(json, static s => StoredText.Escape(s))
            : json;

    /// <summary>A stored payload as it was given (<c>jsonb</c> writes the escape character as it is, never as <c>\uE000</c>).</summary>
    /// <remarks>A lone surrogate comes back as U+FFFD: System.Text.Json cannot write one into a <see cref="JsonElement"/>.</remarks>
    private static string UnescapeJson(string json) =>
        json.Contains(StoredText.EscapeChar, StringComparison.Ordinal) ? RewriteStrings(json, static s => StoredText.Unescape(s)) : json;

    /// <summary>Copies a JSON document token by token, passing every string and property name through <paramref name="map"/>.</summary>
    private static string RewriteStrings(string json, Func<string, string> map)
    {
        var buffer = new ArrayBufferWriter<byte>(json.Length + 64);
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                    case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                    case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                    case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                    case JsonTokenType.PropertyName: writer.WritePropertyName(map(ReadString(ref reader))); break;
                    case JsonTokenType.String: writer.WriteStringValue(map(ReadString(ref reader))); break;
                    default: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;   // numbers, true, false, null
                }
            }
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A JSON string's value, a lone surrogate escape included (which <see cref="Utf8JsonReader.GetString"/> refuses).</summary>
    private static string ReadString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // The whole text was one span (Encoding.GetBytes above), so ValueSpan holds the escaped string between its quotes.
            var raw = reader.ValueSpan;
            var text = new StringBuilder(raw.Length);
            while (!raw.IsEmpty)
            {
                var backslash = raw.IndexOf((byte)'\\');
                text.Append(Encoding.UTF8.GetString(backslash < 0 ? raw : raw[..backslash]));
                if (backslash < 0)
                {
                    break;
                }

                var escape = (char)raw[backslash + 1];
                text.Append(escape switch
                {
                    'u' => (char)ushort.Parse(Encoding.ASCII.GetString(raw.Slice(backslash + 2, 4)), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
                    'b' => '\b',
                    'f' => '\f',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    _ => escape,   // \" \\ \/
                });
                raw = raw[(backslash + (escape == 'u' ? 6 : 2))..];
            }

            return text.ToString();
        }
    }

    /// <summary>A held version: read from the store (<see cref="Change"/> null) or taken from the list being added.</summary>
    private sealed record HeldVersion(long Version, EntityChangeKind Kind, EntityChange? Change);

    /// <summary>One (type, target, id): its held change, as read and then as the changes leave it.</summary>
    private sealed class HeldSlot
    {
        public HeldVersion? Held { get; set; }

        /// <summary>The in-memory store's rule: a change replaces the held one if it has a higher version, or the same version and is a delete replacing an upsert.</summary>
        public void Apply(EntityChange change)
        {
            if (Held is not { } held
                || change.Version > held.Version
                || (change.Version == held.Version && change.Kind == EntityChangeKind.Delete && held.Kind == EntityChangeKind.Upsert))
            {
                Held = new HeldVersion(change.Version, change.Kind, change);
            }
        }
    }

    /// <summary>Rows to write, column by column (for <c>unnest</c>).</summary>
    private sealed class HeldRows
    {
        public List<string> Entities { get; } = [];

        public List<string> Targets { get; } = [];

        public List<string> Ids { get; } = [];

        public List<short> Kinds { get; } = [];

        public List<long> Versions { get; } = [];

        public List<string> Types { get; } = [];

        public List<string?> Payloads { get; } = [];

        public int Count => Entities.Count;

        public void Add(string entity, string target, string id, EntityChangeKind kind, long version, string type, string? payload)
        {
            Entities.Add(entity);
            Targets.Add(target);
            Ids.Add(id);
            Kinds.Add((short)kind);
            Versions.Add(version);
            Types.Add(type);
            Payloads.Add(payload);
        }
    }
}
