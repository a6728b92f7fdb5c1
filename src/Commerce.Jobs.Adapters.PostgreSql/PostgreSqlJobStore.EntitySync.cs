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

    private NpgsqlBatchCommand LockCommand(IEnumerable<string> keys)
    {
        var command = new NpgsqlBatchCommand(_sql.LockEntityTargets);
        command.Parameters.Add(Param(keys.Distinct(StringComparer.Ordinal).ToArray()));
        return command;
    }

    /// <summary>The store's one order of changes of an id: by version, and on equal versions a delete after an upsert.</summary>
    private static bool Comes(EntityChange change, EntityChange after) =>
        change.Version > after.Version || (change.Version == after.Version && change.Kind == EntityChangeKind.Delete && after.Kind == EntityChangeKind.Upsert);

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
