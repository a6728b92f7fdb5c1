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
/// (entity type, target) — adds and completions — serialize on its transaction-level advisory lock, so a change added on
/// one host and delivered on another are applied one after the other, as in memory. Claims take no such lock: like the
/// record inbox's, they lease held rows in sequence order with <c>FOR UPDATE SKIP LOCKED</c>, so hosts claiming one
/// (type, target) at once get different ids and never wait for each other. Payloads are stored as <c>jsonb</c> and come
/// back as <see cref="JsonElement"/>.
/// </summary>
internal sealed partial class PostgreSqlJobStore
{
    private const char KeySeparator = '\u001f';

    public async ValueTask<int> AddEntityChangesAsync(IReadOnlyCollection<string> targetNames, IReadOnlyList<EntityChange> changes, bool repair, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targetNames);
        ArgumentNullException.ThrowIfNull(changes);
        if (targetNames.Count == 0 || changes.Count == 0)
        {
            return 0;
        }

        // The newest change of the list for each (type, target, id), in the order the slots first appear (their sequence
        // order); the statement holds it where it comes after the held change and is not stale against the delivered one.
        var slots = new Dictionary<(string Entity, string Target, string Id), int>();
        var newest = new List<((string Entity, string Target, string Id) Slot, EntityChange Change, int Index)>();
        foreach (var target in targetNames.Select(Key).Distinct(StringComparer.Ordinal))
        {
            for (var i = 0; i < changes.Count; i++)
            {
                var change = changes[i];
                ArgumentNullException.ThrowIfNull(change);
                var slot = (Key(change.EntityType), target, StoredText.Escape(change.Id));
                if (!slots.TryGetValue(slot, out var index))
                {
                    slots.Add(slot, newest.Count);
                    newest.Add((slot, change, i));
                }
                else if (Comes(change, after: newest[index].Change))
                {
                    newest[index] = (slot, change, i);
                }
            }
        }

        var put = new HeldRows();
        foreach (var ((entity, target, id), change, _) in newest)
        {
            put.Add(entity, target, id, change.Kind, change.Version, StoredText.Escape(change.EntityType), change.Payload switch
            {
                null => null,
                JsonElement element => EscapeJson(element.GetRawText()),   // as given: re-serializing refuses a lone surrogate escape
                var payload => EscapeJson(JsonSerializer.Serialize(payload, payload.GetType(), JsonSerializerOptions.Web)),
            });
        }

        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        using var batch = _dataSource.CreateBatch();
        batch.BatchCommands.Add(LockCommand(slots.Keys.Select(k => string.Concat(k.Entity, KeySeparator.ToString(), k.Target))));
        var command = new NpgsqlBatchCommand(_sql.PutHeld);
        command.Parameters.Add(Param(put.Entities.ToArray()));
        command.Parameters.Add(Param(put.Targets.ToArray()));
        command.Parameters.Add(Param(put.Ids.ToArray()));
        command.Parameters.Add(Param(put.Kinds.ToArray()));
        command.Parameters.Add(Param(put.Versions.ToArray()));
        command.Parameters.Add(Param(put.Types.ToArray()));
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. put.Payloads], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(Hashes(put.Ids));
        command.Parameters.Add(Param(repair));
        batch.BatchCommands.Add(command);

        // The statement returns the rows it wrote: a change is held now when its slot's row took it, for at least one target.
        var held = new HashSet<int>();
        var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);   // past the locks
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (slots.TryGetValue((reader.GetString(0), reader.GetString(1), reader.GetString(2)), out var slot))
                {
                    held.Add(newest[slot].Index);
                }
            }
        }

        return held.Count;
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
            changes.Add(ReadChange(reader, 0));
        }

        return changes;
    }

    /// <summary>A held change from five columns from <paramref name="first"/> on: type, id, kind, version and payload (as text).</summary>
    private static EntityChange ReadChange(NpgsqlDataReader reader, int first)
    {
        var type = ReadText(reader, first);
        var id = ReadText(reader, first + 1);
        var version = reader.GetInt64(first + 3);
        if ((EntityChangeKind)reader.GetInt16(first + 2) == EntityChangeKind.Delete)
        {
            return EntityChange.Delete(type, id, version);
        }

        object? payload = null;
        if (!reader.IsDBNull(first + 4))
        {
            using var document = JsonDocument.Parse(UnescapeJson(reader.GetString(first + 4)));
            payload = document.RootElement.Clone();
        }

        return EntityChange.Upsert(type, id, payload, version);
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

    public async ValueTask<IReadOnlyList<HeldEntityChange>> ClaimEntityChangesAsync(string entityType, string targetName, EntityChangeClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(claim);
        var entity = Key(entityType);
        var target = Key(targetName);
        var claimed = new List<HeldEntityChange>(Math.Clamp(claim.MaxChanges, 0, 1024));
        if (claim.MaxChanges <= 0)
        {
            return claimed;
        }

        // Page after page in one transaction, each one range of the claim index: a page whose stale rows were deleted
        // instead of handed out is followed by the next one, until the claim is full or the range holds no more.
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                using (var promote = new NpgsqlCommand(_sql.PromoteHeld, connection, transaction))
                {
                    promote.Parameters.Add(Param(entity));
                    promote.Parameters.Add(Param(target));
                    promote.Parameters.Add(Param(claim.Now.ToUniversalTime()));
                    await promote.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                var after = claim.AfterSequence;
                while (claimed.Count < claim.MaxChanges)
                {
                    var wanted = claim.MaxChanges - claimed.Count;
                    var picked = 0;
                    using (var command = new NpgsqlCommand(claim.HoldUpserts ? _sql.ClaimHeldDeletes : _sql.ClaimHeld, connection, transaction))
                    {
                        command.Parameters.Add(Param(entity));
                        command.Parameters.Add(Param(target));
                        command.Parameters.Add(Param(after));
                        command.Parameters.Add(Param(claim.Now.ToUniversalTime()));
                        command.Parameters.Add(Param((long)wanted));
                        command.Parameters.Add(Param(StoredText.Escape(claim.Owner)));
                        command.Parameters.Add(Param(claim.LeaseUntil.ToUniversalTime()));
                        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                        await using var readerScope = reader.ConfigureAwait(false);
                        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                        {
                            picked++;
                            after = Math.Max(after, reader.GetInt64(0));
                            if (!reader.IsDBNull(1))
                            {
                                claimed.Add(new HeldEntityChange(ReadChange(reader, 1), reader.GetInt64(0), reader.GetBoolean(6), reader.GetInt32(7), ReadTextOrNull(reader, 8)));
                            }
                        }
                    }

                    if (picked < wanted)
                    {
                        break;   // the range is exhausted (or its other rows are locked by other claimers)
                    }
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return claimed;
    }

    /// <summary>The statement that claims a page of held changes in <paramref name="schema"/> (tests look at its plan).</summary>
    internal static string ClaimPageSql(string schema, bool holdUpserts)
    {
        var sql = new Sql(PostgreSqlStoreMigrations.Quote(schema));
        return holdUpserts ? sql.ClaimHeldDeletes : sql.ClaimHeld;
    }

    /// <summary>The statement that makes skipped changes due at $3 claimable again in <paramref name="schema"/> (tests look at its plan).</summary>
    internal static string PromoteSql(string schema) => new Sql(PostgreSqlStoreMigrations.Quote(schema)).PromoteHeld;

    public async ValueTask CompleteEntityChangesAsync(string entityType, string targetName, string owner, IReadOnlyList<EntityChangeCompletion> completions, DateTimeOffset now, DateTimeOffset retrySkippedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(completions);
        var entity = Key(entityType);
        var target = Key(targetName);
        if (completions.Count == 0)
        {
            return;
        }

        long deliveredCount = 0, skippedCount = 0, failedCount = 0;
        long? lastDeliveredVersion = null;
        string? lastError = null;
        var hasError = false;
        var owned = StoredText.Escape(owner);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        using var batch = _dataSource.CreateBatch();   // one implicit transaction
        batch.BatchCommands.Add(LockCommand([string.Concat(entity, KeySeparator.ToString(), target)]));

        // Applied in order, as if one call per completion: a run of completions of distinct ids is settled by one set of
        // statements (set-wise is then the same as one by one), and an id named again starts the next run.
        var run = new CompletionRun();
        foreach (var (change, status, error) in completions)
        {
            ArgumentNullException.ThrowIfNull(change, nameof(completions));
            var id = StoredText.Escape(change.Id);
            if (!run.Ids.Add(id))
            {
                AddSettleCommands(batch, entity, target, owned, run, now, retrySkippedAt);
                run = new CompletionRun();
                run.Ids.Add(id);
            }

            switch (status)
            {
                case RecordStatus.Delivered:
                    deliveredCount++;
                    lastDeliveredVersion = Math.Max(lastDeliveredVersion ?? long.MinValue, change.Version);
                    run.Done.Add(id, change, null);
                    run.Delivered.Add(id, change, null);
                    break;
                case RecordStatus.Skipped:
                    skippedCount++;
                    (lastError, hasError) = (error, true);
                    run.Skipped.Add(id, change, StoredText.Escape(error));
                    break;
                case RecordStatus.PermanentFailure:
                    failedCount++;
                    (lastError, hasError) = (error, true);
                    run.Done.Add(id, change, null);
                    break;
                default:
                    break;   // released unattempted: only the lease ends
            }
        }

        AddSettleCommands(batch, entity, target, owned, run, now, retrySkippedAt);
        if (deliveredCount + skippedCount + failedCount > 0)
        {
            var counts = new NpgsqlBatchCommand(_sql.AddEntitySyncCounts);
            counts.Parameters.Add(Param(entity));
            counts.Parameters.Add(Param(target));
            counts.Parameters.Add(Param(deliveredCount));
            counts.Parameters.Add(Param(skippedCount));
            counts.Parameters.Add(Param(failedCount));
            counts.Parameters.Add(new NpgsqlParameter { Value = (object?)lastDeliveredVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
            counts.Parameters.Add(new NpgsqlParameter { Value = lastDeliveredVersion is null ? DBNull.Value : now.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
            counts.Parameters.Add(Text(StoredText.Escape(lastError)));
            counts.Parameters.Add(new NpgsqlParameter { Value = hasError ? now.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
            batch.BatchCommands.Add(counts);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<int> RenewEntityLeasesAsync(string entityType, string targetName, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        using var command = await CreateCommandAsync(_sql.RenewHeld, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(entityType)));
        command.Parameters.Add(Param(Key(targetName)));
        command.Parameters.Add(Param(StoredText.Escape(owner)));
        command.Parameters.Add(Param(leaseUntil.ToUniversalTime()));
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<EntitySyncCounts> GetEntitySyncCountsAsync(string entityType, string targetName, CancellationToken cancellationToken)
    {
        using var command = await CreateCommandAsync(_sql.GetEntitySyncCounts, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(entityType)));
        command.Parameters.Add(Param(Key(targetName)));
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        return new EntitySyncCounts(
            reader.GetInt64(0),
            reader.IsDBNull(1) ? 0 : reader.GetInt64(1),
            reader.IsDBNull(2) ? 0 : reader.GetInt64(2),
            reader.IsDBNull(3) ? 0 : reader.GetInt64(3),
            reader.IsDBNull(4) ? null : reader.GetInt64(4),
            reader.IsDBNull(5) ? null : reader.GetFieldValue<DateTimeOffset>(5),
            ReadTextOrNull(reader, 6),
            reader.IsDBNull(7) ? null : reader.GetFieldValue<DateTimeOffset>(7));
    }

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
        foreach (var sql in new[] { _sql.ClearHeld, _sql.ClearDelivered, _sql.ClearCounts })
        {
            var command = new NpgsqlBatchCommand(sql);
            command.Parameters.Add(Param(Key(entityType)));
            command.Parameters.Add(Text(targetName is null ? null : Key(targetName)));
            batch.BatchCommands.Add(command);
        }

        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds the statements that settle a run of completions of distinct ids: delivered versions, removals, skips, releases.</summary>
    private void AddSettleCommands(NpgsqlBatch batch, string entity, string target, string owner, CompletionRun run, DateTimeOffset now, DateTimeOffset retrySkippedAt)
    {
        if (run.Delivered.Count > 0)
        {
            var raise = new NpgsqlBatchCommand(_sql.RaiseDelivered);
            raise.Parameters.Add(Param(target));
            raise.Parameters.Add(Param(Enumerable.Repeat(entity, run.Delivered.Count).ToArray()));
            raise.Parameters.Add(Param(run.Delivered.Ids.ToArray()));
            raise.Parameters.Add(Param(run.Delivered.Versions.ToArray()));
            raise.Parameters.Add(Hashes(run.Delivered.Ids));
            raise.Parameters.Add(Param(run.Delivered.Kinds.ToArray()));
            raise.Parameters.Add(Param(now.ToUniversalTime()));
            batch.BatchCommands.Add(raise);
        }

        if (run.Done.Count > 0)
        {
            batch.BatchCommands.Add(SettleCommand(_sql.CompleteRemoveHeld, entity, target, owner, run.Done));
        }

        if (run.Skipped.Count > 0)
        {
            var skip = SettleCommand(_sql.CompleteSkipHeld, entity, target, owner, run.Skipped);
            skip.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = [.. run.Skipped.Errors], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            skip.Parameters.Add(Param(retrySkippedAt.ToUniversalTime()));
            batch.BatchCommands.Add(skip);
        }

        var release = new NpgsqlBatchCommand(_sql.ReleaseHeld);
        release.Parameters.Add(Param(entity));
        release.Parameters.Add(Param(target));
        release.Parameters.Add(Param(owner));
        release.Parameters.Add(Hashes([.. run.Ids]));
        batch.BatchCommands.Add(release);
    }

    private NpgsqlBatchCommand LockCommand(IEnumerable<string> keys)
    {
        var command = new NpgsqlBatchCommand(_sql.LockEntityTargets);
        command.Parameters.Add(Param(keys.Distinct(StringComparer.Ordinal).ToArray()));
        return command;
    }

    /// <summary>A completion statement over the owner's held rows of one (type, target): $4 id hashes, $5 kinds, $6 versions.</summary>
    private static NpgsqlBatchCommand SettleCommand(string sql, string entity, string target, string owner, SettledRows rows)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.Add(Param(entity));
        command.Parameters.Add(Param(target));
        command.Parameters.Add(Param(owner));
        command.Parameters.Add(Hashes(rows.Ids));
        command.Parameters.Add(Param(rows.Kinds.ToArray()));
        command.Parameters.Add(Param(rows.Versions.ToArray()));
        return command;
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

    /// <summary>The store's one order of changes of an id: by version, and on equal versions a delete after an upsert.</summary>
    private static bool Comes(EntityChange change, EntityChange after) =>
        change.Version > after.Version || (change.Version == after.Version && change.Kind == EntityChangeKind.Delete && after.Kind == EntityChangeKind.Upsert);

    /// <summary>Completed changes of one (type, target), column by column (for <c>unnest</c>): stored ids, kinds, versions and errors.</summary>
    private sealed class SettledRows
    {
        public List<string> Ids { get; } = [];

        public List<short> Kinds { get; } = [];

        public List<long> Versions { get; } = [];

        public List<string?> Errors { get; } = [];

        public int Count => Ids.Count;

        public void Add(string id, EntityChange change, string? error)
        {
            Ids.Add(id);
            Kinds.Add((short)change.Kind);
            Versions.Add(change.Version);
            Errors.Add(error);
        }
    }

    /// <summary>A run of completions of distinct ids (stored ids), by what settles them.</summary>
    private sealed class CompletionRun
    {
        public HashSet<string> Ids { get; } = new(StringComparer.Ordinal);

        /// <summary>Gets the delivered or failed for good: the owner's row goes unless it comes after.</summary>
        public SettledRows Done { get; } = new();

        public SettledRows Skipped { get; } = new();

        public SettledRows Delivered { get; } = new();
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
