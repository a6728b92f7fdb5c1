using Commerce.Jobs.Storage;
using Microsoft.Data.Sqlite;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>
/// Entity sync, the settling side: completions (delivered versions and tombstones, held changes removed, skipped or
/// released), counts, tombstone purges and clearing a type (see <c>SqliteJobStore.EntitySync.cs</c>).
/// </summary>
internal sealed partial class SqliteJobStore
{
    /// <inheritdoc />
    public ValueTask CompleteEntityChangesAsync(string entityType, string targetName, string owner, IReadOnlyList<EntityChangeCompletion> completions, DateTimeOffset now, DateTimeOffset retrySkippedAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        ArgumentNullException.ThrowIfNull(targetName);
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(completions);
        if (completions.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        return Unit(UseAsync((entityType, targetName, owner, completions, now, retrySkippedAt), static (store, args) =>
        {
            using var transaction = store._connection.BeginTransaction();
            using var deliveries = new DeliveredVersions(store, transaction, args.now);

            // Only the owner that holds an id settles its held change: removed when it is not after the completed change,
            // else (replaced meanwhile) only its lease ends.
            using var remove = store.Command("""
                DELETE FROM entity_held
                WHERE entity_type = $type AND target_name = $target AND entity_id = $id AND lease_owner = $owner
                  AND (version < $version OR (version = $version AND (kind = $kind OR $kind = 'delete')));
                """, transaction);
            using var release = store.Command("""
                UPDATE entity_held SET lease_owner = NULL, lease_until = NULL
                WHERE entity_type = $type AND target_name = $target AND entity_id = $id AND lease_owner = $owner;
                """, transaction);

            // A skip counts against the held change only while it is still the one delivered.
            using var skip = store.Command("""
                UPDATE entity_held SET
                    attempts = CASE WHEN version = $version AND kind = $kind THEN attempts + 1 ELSE attempts END,
                    last_error = CASE WHEN version = $version AND kind = $kind THEN $error ELSE last_error END,
                    available_at = CASE WHEN version = $version AND kind = $kind THEN $retry_at ELSE available_at END,
                    lease_owner = NULL, lease_until = NULL
                WHERE entity_type = $type AND target_name = $target AND entity_id = $id AND lease_owner = $owner;
                """, transaction);
            var removed = Parameters(remove, withKind: true);
            var released = Parameters(release, withKind: false);
            var skipped = Parameters(skip, withKind: true);
            foreach (var command in (ReadOnlySpan<SqliteCommand>)[remove, release, skip])
            {
                command.Parameters.AddWithValue("$owner", Stored(args.owner));
            }

            var error = skip.Parameters.Add("$error", SqliteType.Text);
            skip.Parameters.AddWithValue("$retry_at", ToTicks(args.retrySkippedAt));

            long delivered = 0, skips = 0, failed = 0;
            long? lastDelivered = null;
            string? lastError = null;
            foreach (var completion in args.completions)
            {
                var change = completion.Change;
                ArgumentNullException.ThrowIfNull(change, nameof(completions));
                switch (completion.Status)
                {
                    case RecordStatus.Delivered or RecordStatus.PermanentFailure:
                        if (completion.Status == RecordStatus.Delivered)
                        {
                            deliveries.Record(args.entityType, args.targetName, change);
                            delivered++;
                            lastDelivered = Math.Max(lastDelivered ?? long.MinValue, change.Version);
                        }
                        else
                        {
                            failed++;
                            lastError = completion.Error;
                        }

                        removed.Set(change, args.targetName, args.entityType);
                        if (remove.ExecuteNonQuery() == 0)
                        {
                            released.Set(change, args.targetName, args.entityType);
                            release.ExecuteNonQuery();
                        }

                        break;
                    case RecordStatus.Skipped:
                        skips++;
                        lastError = completion.Error;
                        skipped.Set(change, args.targetName, args.entityType);
                        error.Value = Stored(completion.Error);
                        skip.ExecuteNonQuery();
                        break;
                    default:
                        released.Set(change, args.targetName, args.entityType);
                        release.ExecuteNonQuery();
                        break;
                }
            }

            if (delivered + skips + failed > 0)
            {
                using var count = store.Command("""
                    INSERT INTO entity_sync_counts AS c (entity_type, target_name, delivered, skipped, failed, last_delivered_version, last_delivered_at, last_error, last_error_at)
                    VALUES ($type, $target, $delivered, $skipped, $failed, $version, $delivered_at, $error, $error_at)
                    ON CONFLICT (entity_type, target_name) DO UPDATE SET
                        delivered = c.delivered + excluded.delivered,
                        skipped = c.skipped + excluded.skipped,
                        failed = c.failed + excluded.failed,
                        last_delivered_version = CASE WHEN excluded.delivered > 0 THEN MAX(COALESCE(c.last_delivered_version, excluded.last_delivered_version), excluded.last_delivered_version) ELSE c.last_delivered_version END,
                        last_delivered_at = CASE WHEN excluded.delivered > 0 THEN excluded.last_delivered_at ELSE c.last_delivered_at END,
                        last_error = CASE WHEN excluded.skipped + excluded.failed > 0 THEN excluded.last_error ELSE c.last_error END,
                        last_error_at = CASE WHEN excluded.skipped + excluded.failed > 0 THEN excluded.last_error_at ELSE c.last_error_at END;
                    """, transaction);
                var p = count.Parameters;
                p.AddWithValue("$type", Stored(args.entityType));
                p.AddWithValue("$target", Stored(args.targetName));
                var at = ToTicks(args.now);
                p.AddWithValue("$delivered", delivered);
                p.AddWithValue("$skipped", skips);
                p.AddWithValue("$failed", failed);
                p.AddWithValue("$version", lastDelivered is null ? DBNull.Value : lastDelivered.Value);
                p.AddWithValue("$delivered_at", lastDelivered is null ? DBNull.Value : at);
                p.AddWithValue("$error", Stored(lastError));
                p.AddWithValue("$error_at", skips + failed > 0 ? at : DBNull.Value);
                count.ExecuteNonQuery();
            }

            transaction.Commit();
            return 0;
        }, cancellationToken, Commit.Progress));
    }

    /// <inheritdoc />
    public ValueTask<EntitySyncCounts> GetEntitySyncCountsAsync(string entityType, string targetName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        ArgumentNullException.ThrowIfNull(targetName);
        return UseAsync((entityType, targetName), static (store, args) =>
        {
            using var command = store.Command("""
                SELECT (SELECT COUNT(*) FROM entity_held WHERE entity_type = $type AND target_name = $target),
                       c.delivered, c.skipped, c.failed, c.last_delivered_version, c.last_delivered_at, c.last_error, c.last_error_at
                FROM (SELECT 1) LEFT JOIN entity_sync_counts AS c ON c.entity_type = $type AND c.target_name = $target;
                """);
            command.Parameters.AddWithValue("$type", Stored(args.entityType));
            command.Parameters.AddWithValue("$target", Stored(args.targetName));
            using var reader = command.ExecuteReader();
            reader.Read();
            return new EntitySyncCounts(
                reader.GetInt64(0),
                reader.IsDBNull(1) ? 0 : reader.GetInt64(1),
                reader.IsDBNull(2) ? 0 : reader.GetInt64(2),
                reader.IsDBNull(3) ? 0 : reader.GetInt64(3),
                reader.IsDBNull(4) ? null : reader.GetInt64(4),
                reader.IsDBNull(5) ? null : FromTicks(reader.GetInt64(5)),
                ReadTextOrNull(reader, 6),
                reader.IsDBNull(7) ? null : FromTicks(reader.GetInt64(7)));
        }, cancellationToken, Commit.None);
    }

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
            foreach (var table in (ReadOnlySpan<string>)["entity_held", "entity_delivered", "entity_tombstones", "entity_sync_counts"])
            {
                using var command = store.Command(args.targetName is null
                    ? $"DELETE FROM {table} WHERE entity_type = $type;"
                    : $"DELETE FROM {table} WHERE entity_type = $type AND target_name = $target;", transaction);
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

    /// <summary>
    /// Records delivered changes: the delivered version only grows. A delete that is (now) the delivered change is its
    /// tombstone, with its time; an upsert delivered after it (a higher version) ends it. On equal versions the delete
    /// stays the delivered one.
    /// </summary>
    private sealed class DeliveredVersions : IDisposable
    {
        private readonly SqliteCommand _deliver;
        private readonly SqliteCommand _bury;
        private readonly SqliteCommand _unbury;
        private readonly EntityParameters _delivered;
        private readonly EntityParameters _buried;
        private readonly EntityParameters _unburied;

        public DeliveredVersions(SqliteJobStore store, SqliteTransaction transaction, DateTimeOffset deliveredAt)
        {
            _deliver = store.Command("""
                INSERT INTO entity_delivered (entity_type, target_name, entity_id, version) VALUES ($type, $target, $id, $version)
                ON CONFLICT (entity_type, target_name, entity_id) DO UPDATE SET version = excluded.version
                WHERE excluded.version > entity_delivered.version;
                """, transaction);
            _bury = store.Command("""
                INSERT INTO entity_tombstones (entity_type, target_name, entity_id, version, delivered_at)
                SELECT $type, $target, $id, $version, $at
                WHERE NOT EXISTS (SELECT 1 FROM entity_delivered WHERE entity_type = $type AND target_name = $target AND entity_id = $id AND version > $version)
                ON CONFLICT (entity_type, target_name, entity_id) DO UPDATE SET version = excluded.version, delivered_at = excluded.delivered_at
                WHERE excluded.version >= entity_tombstones.version;
                """, transaction);
            _unbury = store.Command("""
                DELETE FROM entity_tombstones WHERE entity_type = $type AND target_name = $target AND entity_id = $id AND version < $version;
                """, transaction);
            _delivered = Parameters(_deliver, withKind: false);
            _buried = Parameters(_bury, withKind: false);
            _unburied = Parameters(_unbury, withKind: false);
            _bury.Parameters.AddWithValue("$at", ToTicks(deliveredAt));
        }

        public void Record(string entityType, string targetName, EntityChange change)
        {
            _delivered.Set(change, targetName, entityType);
            _deliver.ExecuteNonQuery();
            if (change.Kind == EntityChangeKind.Delete)
            {
                _buried.Set(change, targetName, entityType);
                _bury.ExecuteNonQuery();
            }
            else
            {
                _unburied.Set(change, targetName, entityType);
                _unbury.ExecuteNonQuery();
            }
        }

        public void Dispose()
        {
            _deliver.Dispose();
            _bury.Dispose();
            _unbury.Dispose();
        }
    }
}
