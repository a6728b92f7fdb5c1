using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>Held entity changes (at most one upsert and one delete per entity and target; payloads as JSON) and delivered versions.</summary>
internal sealed partial class SqliteJobStore
{
    private const string Upsert = "upsert";
    private const string Delete = "delete";

    public ValueTask AddEntityChangesAsync(IReadOnlyCollection<string> targetNames, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken)
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

            // Keep the newest change per (type, target, id, kind); a delete also drops an older held upsert.
            using var hold = store.Command("""
                INSERT INTO entity_changes (entity_type, target_name, entity_id, kind, version, payload)
                VALUES ($type, $target, $id, $kind, $version, $payload)
                ON CONFLICT (entity_type, target_name, entity_id, kind) DO UPDATE SET
                    entity_type = excluded.entity_type, target_name = excluded.target_name,
                    version = excluded.version, payload = excluded.payload
                WHERE excluded.version > entity_changes.version;
                """, transaction);
            using var dropOlderUpsert = store.Command("""
                DELETE FROM entity_changes
                WHERE entity_type = $type AND target_name = $target AND entity_id = $id AND kind = 'upsert' AND version < $version;
                """, transaction);
            var held = Parameters(hold, withKind: true);
            var payload = hold.Parameters.Add("$payload", SqliteType.Text);
            var dropped = Parameters(dropOlderUpsert, withKind: false);
            foreach (var target in args.targetNames)
            {
                ArgumentNullException.ThrowIfNull(target, nameof(targetNames));
                for (var i = 0; i < args.changes.Count; i++)
                {
                    var change = args.changes[i];
                    held.Set(change, target);
                    payload.Value = DbValue(payloads[i]);
                    hold.ExecuteNonQuery();
                    if (change.Kind == EntityChangeKind.Delete)
                    {
                        dropped.Set(change, target);
                        dropOlderUpsert.ExecuteNonQuery();
                    }
                }
            }

            transaction.Commit();
            return 0;
        }, cancellationToken));
    }

    public ValueTask MarkEntityChangesDeliveredAsync(string targetName, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken) =>
        SettleAsync(targetName, changes, delivered: true, cancellationToken);

    public ValueTask RemoveEntityChangesAsync(string targetName, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken) =>
        SettleAsync(targetName, changes, delivered: false, cancellationToken);

    /// <summary>
    /// Removes held changes of one target in one transaction; when <paramref name="delivered"/>, also raises the delivered
    /// versions (progress: redone at worst after a power cut), otherwise a durable write.
    /// </summary>
    private ValueTask SettleAsync(string targetName, IReadOnlyList<EntityChange> changes, bool delivered, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targetName);
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        return Unit(UseAsync((targetName, changes, delivered), static (store, args) =>
        {
            using var transaction = store._connection.BeginTransaction();
            using var remove = RemoveHeldCommand(store, transaction);
            using var deliver = args.delivered ? store.Command("""
                INSERT INTO entity_delivered (entity_type, target_name, entity_id, version) VALUES ($type, $target, $id, $version)
                ON CONFLICT (entity_type, target_name, entity_id) DO UPDATE SET version = excluded.version
                WHERE excluded.version > entity_delivered.version;
                """, transaction) : null;
            var removed = Parameters(remove, withKind: true);
            EntityParameters? raised = deliver is null ? null : Parameters(deliver, withKind: false);
            foreach (var change in args.changes)
            {
                removed.Set(change, args.targetName);
                remove.ExecuteNonQuery();
                if (deliver is not null)
                {
                    raised!.Value.Set(change, args.targetName);
                    deliver.ExecuteNonQuery();
                }
            }

            transaction.Commit();
            return 0;
        }, cancellationToken, delivered ? Commit.Progress : Commit.Durable));
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
            foreach (var command in (ReadOnlySpan<SqliteCommand>)[changes, delivered])
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

    private static SqliteCommand RemoveHeldCommand(SqliteJobStore store, SqliteTransaction transaction) => store.Command("""
        DELETE FROM entity_changes
        WHERE entity_type = $type AND target_name = $target AND entity_id = $id AND kind = $kind AND version <= $version;
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
