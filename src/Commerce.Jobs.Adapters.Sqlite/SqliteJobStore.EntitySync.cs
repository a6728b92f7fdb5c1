using System.Text.Json;
using Microsoft.Data.Sqlite;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>
/// Held entity changes (one per entity and target, the newest; payloads as JSON), delivered versions, and the tombstones
/// among them (a delivered delete, with its time, in <c>entity_tombstones</c>). Changes of one id are ordered by
/// version, and on equal versions a delete after an upsert.
/// </summary>
internal sealed partial class SqliteJobStore
{
    private const string Upsert = "upsert";
    private const string Delete = "delete";

    public ValueTask AddEntityChangesAsync(IReadOnlyCollection<string> targetNames, IReadOnlyList<EntityChange> changes, bool repair, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targetNames);
        ArgumentNullException.ThrowIfNull(changes);
        if (targetNames.Count == 0 || changes.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        return Unit(UseAsync((targetNames, changes), static (store, args) =>
        {
            // Serialize once per change, not once per target.
            var payloads = new string?[args.changes.Count];
            for (var i = 0; i < payloads.Length; i++)
            {
                payloads[i] = store.SerializePayload(args.changes[i]);
            }

            using var transaction = store._connection.BeginTransaction();

            // Keep the newest change per (type, target, id): a higher version, or a delete over an upsert of the same version.
            using var hold = store.Command("""
                INSERT INTO entity_changes (entity_type, target_name, entity_id, kind, version, payload)
                VALUES ($type, $target, $id, $kind, $version, $payload)
                ON CONFLICT (entity_type, target_name, entity_id) DO UPDATE SET
                    entity_type = excluded.entity_type, target_name = excluded.target_name,
                    kind = excluded.kind, version = excluded.version, payload = excluded.payload
                WHERE excluded.version > entity_changes.version
                   OR (excluded.version = entity_changes.version AND excluded.kind = 'delete' AND entity_changes.kind = 'upsert');
                """, transaction);
            var held = Parameters(hold, withKind: true);
            var payload = hold.Parameters.Add("$payload", SqliteType.Text);
            foreach (var target in args.targetNames)
            {
                ArgumentNullException.ThrowIfNull(target, nameof(targetNames));
                for (var i = 0; i < args.changes.Count; i++)
                {
                    var change = args.changes[i];
                    held.Set(change, target);
                    payload.Value = DbValue(payloads[i]);
                    hold.ExecuteNonQuery();
                }
            }

            transaction.Commit();
            return 0;
        }, cancellationToken));
    }

    public ValueTask MarkEntityChangesDeliveredAsync(string targetName, IReadOnlyList<EntityChange> changes, DateTimeOffset deliveredAt, CancellationToken cancellationToken) =>
        SettleAsync(targetName, changes, deliveredAt, cancellationToken);

    public ValueTask RemoveEntityChangesAsync(string targetName, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken) =>
        SettleAsync(targetName, changes, null, cancellationToken);

    /// <summary>
    /// Removes held changes of one target in one transaction; when <paramref name="deliveredAt"/> is given, also raises the
    /// delivered versions (progress: redone at worst after a power cut), otherwise a durable write.
    /// </summary>
    private ValueTask SettleAsync(string targetName, IReadOnlyList<EntityChange> changes, DateTimeOffset? deliveredAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targetName);
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        return Unit(UseAsync((targetName, changes, deliveredAt), static (store, args) =>
        {
            using var transaction = store._connection.BeginTransaction();
            using var remove = RemoveHeldCommand(store, transaction);

            // The delivered version only grows. A delete that is (now) the delivered change is its tombstone, with its time;
            // an upsert delivered after it (a higher version) ends it. On equal versions the delete stays the delivered one.
            using var deliver = args.deliveredAt is null ? null : store.Command("""
                INSERT INTO entity_delivered (entity_type, target_name, entity_id, version) VALUES ($type, $target, $id, $version)
                ON CONFLICT (entity_type, target_name, entity_id) DO UPDATE SET version = excluded.version
                WHERE excluded.version > entity_delivered.version;
                """, transaction);
            using var bury = args.deliveredAt is null ? null : store.Command("""
                INSERT INTO entity_tombstones (entity_type, target_name, entity_id, version, delivered_at)
                SELECT $type, $target, $id, $version, $at
                WHERE NOT EXISTS (SELECT 1 FROM entity_delivered WHERE entity_type = $type AND target_name = $target AND entity_id = $id AND version > $version)
                ON CONFLICT (entity_type, target_name, entity_id) DO UPDATE SET version = excluded.version, delivered_at = excluded.delivered_at
                WHERE excluded.version >= entity_tombstones.version;
                """, transaction);
            using var unbury = args.deliveredAt is null ? null : store.Command("""
                DELETE FROM entity_tombstones WHERE entity_type = $type AND target_name = $target AND entity_id = $id AND version < $version;
                """, transaction);
            var removed = Parameters(remove, withKind: true);
            EntityParameters? raised = deliver is null ? null : Parameters(deliver, withKind: false);
            EntityParameters? buried = bury is null ? null : Parameters(bury, withKind: false);
            EntityParameters? unburied = unbury is null ? null : Parameters(unbury, withKind: false);
            bury?.Parameters.AddWithValue("$at", ToTicks(args.deliveredAt!.Value));
            foreach (var change in args.changes)
            {
                removed.Set(change, args.targetName);
                remove.ExecuteNonQuery();
                if (deliver is not null)
                {
                    raised!.Value.Set(change, args.targetName);
                    deliver.ExecuteNonQuery();
                    if (change.Kind == EntityChangeKind.Delete)
                    {
                        buried!.Value.Set(change, args.targetName);
                        bury!.ExecuteNonQuery();
                    }
                    else
                    {
                        unburied!.Value.Set(change, args.targetName);
                        unbury!.ExecuteNonQuery();
                    }
                }
            }

            transaction.Commit();
            return 0;
        }, cancellationToken, deliveredAt is null ? Commit.Durable : Commit.Progress));
    }

    public ValueTask<IReadOnlyList<EntityChange>> GetEntityChangesAsync(string entityType, string targetName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        ArgumentNullException.ThrowIfNull(targetName);
        return UseAsync((entityType, targetName), static (store, args) =>
        {
            using var command = store.Command("""
                SELECT entity_type, entity_id, kind, version, payload FROM entity_changes
                WHERE entity_type = $type AND target_name = $target;
                """);
            command.Parameters.AddWithValue("$type", Stored(args.entityType));
            command.Parameters.AddWithValue("$target", Stored(args.targetName));
            var changes = new List<EntityChange>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var type = ReadText(reader, 0);
                var id = ReadText(reader, 1);
                var version = reader.GetInt64(3);
                changes.Add(reader.GetString(2) == Delete
                    ? EntityChange.Delete(type, id, version)
                    : EntityChange.Upsert(type, id, reader.IsDBNull(4) ? null : JsonSerializer.Deserialize(reader.GetString(4), SqliteJsonContext.Default.JsonElement), version));
            }

            return (IReadOnlyList<EntityChange>)changes;
        }, cancellationToken, Commit.None);
    }

    public ValueTask<IReadOnlyDictionary<string, long>> GetDeliveredEntityVersionsAsync(string entityType, string targetName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        ArgumentNullException.ThrowIfNull(targetName);
        return UseAsync((entityType, targetName), static (store, args) =>
        {
            using var command = store.Command("SELECT entity_id, version FROM entity_delivered WHERE entity_type = $type AND target_name = $target;");
            command.Parameters.AddWithValue("$type", Stored(args.entityType));
            command.Parameters.AddWithValue("$target", Stored(args.targetName));
            var versions = new Dictionary<string, long>(StringComparer.Ordinal);
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                versions[ReadText(reader, 0)] = reader.GetInt64(1);
            }

            return (IReadOnlyDictionary<string, long>)versions;
        }, cancellationToken, Commit.None);
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

    public ValueTask<int> PurgeEntityTombstonesAsync(string entityType, DateTimeOffset deliveredBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        return UseAsync((entityType, before: ToTicks(deliveredBefore)), static (store, args) =>
        {
            using var transaction = store._connection.BeginTransaction();
            using var delivered = store.Command("""
                DELETE FROM entity_delivered WHERE entity_type = $type AND EXISTS (
                    SELECT 1 FROM entity_tombstones AS t
                    WHERE t.entity_type = entity_delivered.entity_type AND t.target_name = entity_delivered.target_name
                      AND t.entity_id = entity_delivered.entity_id AND t.delivered_at < $before);
                """, transaction);
            using var tombstones = store.Command("DELETE FROM entity_tombstones WHERE entity_type = $type AND delivered_at < $before;", transaction);
            foreach (var command in (ReadOnlySpan<SqliteCommand>)[delivered, tombstones])
            {
                command.Parameters.AddWithValue("$type", Stored(args.entityType));
                command.Parameters.AddWithValue("$before", args.before);
            }

            var removed = delivered.ExecuteNonQuery();
            tombstones.ExecuteNonQuery();
            transaction.Commit();
            return removed;
        }, cancellationToken);
    }

    public ValueTask ClearEntitySyncAsync(string entityType, string? targetName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        return Unit(UseAsync((entityType, targetName), static (store, args) =>
        {
            using var transaction = store._connection.BeginTransaction();
            using var changes = store.Command(args.targetName is null
                ? "DELETE FROM entity_changes WHERE entity_type = $type;"
                : "DELETE FROM entity_changes WHERE entity_type = $type AND target_name = $target;", transaction);
            using var delivered = store.Command(args.targetName is null
                ? "DELETE FROM entity_delivered WHERE entity_type = $type;"
                : "DELETE FROM entity_delivered WHERE entity_type = $type AND target_name = $target;", transaction);
            using var tombstones = store.Command(args.targetName is null
                ? "DELETE FROM entity_tombstones WHERE entity_type = $type;"
                : "DELETE FROM entity_tombstones WHERE entity_type = $type AND target_name = $target;", transaction);
            foreach (var command in (ReadOnlySpan<SqliteCommand>)[changes, delivered, tombstones])
            {
                command.Parameters.AddWithValue("$type", Stored(args.entityType));
                if (args.targetName is not null)
                {
                    command.Parameters.AddWithValue("$target", Stored(args.targetName));
                }

                command.ExecuteNonQuery();
            }

            transaction.Commit();
            return 0;
        }, cancellationToken));
    }

    /// <summary>Removes the held change of an id unless it comes after the given one (a higher version, or a delete over an upsert).</summary>
    private static SqliteCommand RemoveHeldCommand(SqliteJobStore store, SqliteTransaction transaction) => store.Command("""
        DELETE FROM entity_changes
        WHERE entity_type = $type AND target_name = $target AND entity_id = $id
          AND (version < $version OR (version = $version AND (kind = $kind OR $kind = 'delete')));
        """, transaction);

    private static EntityParameters Parameters(SqliteCommand command, bool withKind) => new(
        command.Parameters.Add("$type", SqliteType.Text),
        command.Parameters.Add("$target", SqliteType.Text),
        command.Parameters.Add("$id", SqliteType.Text),
        withKind ? command.Parameters.Add("$kind", SqliteType.Text) : null,
        command.Parameters.Add("$version", SqliteType.Integer));

    private string? SerializePayload(EntityChange change) => change.Payload switch
    {
        null => null,
        JsonElement element => element.GetRawText(),
        var payload => JsonSerializer.Serialize(payload, payload.GetType(), _payloadOptions),
    };

    /// <summary>The parameters naming one held change or delivered version: (type, target, id[, kind], version).</summary>
    private readonly record struct EntityParameters(SqliteParameter Type, SqliteParameter Target, SqliteParameter Id, SqliteParameter? Kind, SqliteParameter Version)
    {
        public void Set(EntityChange change, string target)
        {
            Type.Value = Stored(change.EntityType);
            Target.Value = Stored(target);
            Id.Value = Stored(change.Id);
            if (Kind is not null)
            {
                Kind.Value = change.Kind == EntityChangeKind.Delete ? Delete : Upsert;
            }

            Version.Value = change.Version;
        }
    }
}
