using System.Text.Json;
using Microsoft.Data.Sqlite;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>
/// Held entity changes (one per entity and target, the newest; payloads as JSON) in <c>entity_held</c>, claimed under
/// leases in the order of their store-wide sequence; delivered versions, and the tombstones among them (a delivered
/// delete, with its time, in <c>entity_tombstones</c>); and per (type, target) the counts of <c>entity_sync_counts</c>.
/// Changes of one id are ordered by version, and on equal versions a delete after an upsert (their position).
/// </summary>
internal sealed partial class SqliteJobStore
{
    private const string Upsert = "upsert";
    private const string Delete = "delete";

    private const string HeldColumns = "h.entity_type, h.entity_id, h.kind, h.version, h.payload, h.repair, h.sequence, h.attempts, h.last_error";

    /// <summary>
    /// Whether a change at a position is stale against the entity's delivered one: an incremental change at or before it,
    /// a repair before it. The delivered one is a delete when a tombstone of its version is kept (kinds of versions
    /// delivered before tombstones were kept are not known: an upsert).
    /// </summary>
    private static string StaleSql(string type, string target, string id, string version, string isDelete, string repair) => $"""
        EXISTS (
            SELECT 1 FROM entity_delivered AS d
            WHERE d.entity_type = {type} AND d.target_name = {target} AND d.entity_id = {id}
              AND (d.version > {version} OR (d.version = {version} AND {isDelete} + {repair} <= EXISTS (
                  SELECT 1 FROM entity_tombstones AS t
                  WHERE t.entity_type = d.entity_type AND t.target_name = d.target_name AND t.entity_id = d.entity_id AND t.version = d.version))))
        """;

    /// <summary>
    /// A page of claimable held changes, each with whether it is stale: one range of <c>ix_entity_held_claim</c>, or of
    /// <c>ix_entity_held_deletes</c> when upserts are held (see <see cref="ClaimDeletesSql"/>).
    /// </summary>
    internal static readonly string ClaimSql = ClaimPage(deletesOnly: false);

    /// <summary>A page of claimable held deletes (upserts held back), each with whether it is stale.</summary>
    internal static readonly string ClaimDeletesSql = ClaimPage(deletesOnly: true);

    /// <summary>
    /// Makes the skipped changes due at <c>$now</c> claimable again (their due time cleared): one range of
    /// <c>ix_entity_held_waiting</c>, so that claims never read the ones not yet due.
    /// </summary>
    internal const string PromoteSql = "UPDATE entity_held SET available_at = NULL WHERE entity_type = $type AND target_name = $target AND available_at <= $now;";

    private static readonly string HoldSql = $"""
        INSERT INTO entity_held (entity_type, target_name, entity_id, kind, version, payload, repair, sequence)
        SELECT $type, $target, $id, $kind, $version, $payload, $repair, $sequence
        WHERE NOT {StaleSql("$type", "$target", "$id", "$version", "($kind = 'delete')", "$repair")}
        ON CONFLICT (entity_type, target_name, entity_id) DO UPDATE SET
            entity_type = excluded.entity_type, target_name = excluded.target_name,
            kind = excluded.kind, version = excluded.version, payload = excluded.payload, repair = excluded.repair,
            sequence = excluded.sequence, attempts = 0, last_error = NULL, available_at = NULL
        WHERE excluded.version > entity_held.version
           OR (excluded.version = entity_held.version AND excluded.kind = 'delete' AND entity_held.kind = 'upsert');
        """;

    public ValueTask<int> AddEntityChangesAsync(IReadOnlyCollection<string> targetNames, IReadOnlyList<EntityChange> changes, bool repair, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(targetNames);
        ArgumentNullException.ThrowIfNull(changes);
        if (targetNames.Count == 0 || changes.Count == 0)
        {
            return ValueTask.FromResult(0);
        }

        return UseAsync((targetNames, changes, repair), static (store, args) =>
        {
            // Serialize once per change, not once per target.
            var payloads = new string?[args.changes.Count];
            for (var i = 0; i < payloads.Length; i++)
            {
                payloads[i] = store.SerializePayload(args.changes[i]);
            }

            using var transaction = store._connection.BeginTransaction();

            // Keep the newest change per (type, target, id), none that is stale against the delivered one. Every write takes
            // the next number of the store-wide counter (one writer: read once, written back once; unused numbers are gaps).
            var sequence = store.ReadEntitySequence(transaction);
            using var hold = store.Command(HoldSql, transaction);
            var held = Parameters(hold, withKind: true);
            var payload = hold.Parameters.Add("$payload", SqliteType.Text);
            var next = hold.Parameters.Add("$sequence", SqliteType.Integer);
            hold.Parameters.AddWithValue("$repair", args.repair ? 1 : 0);

            // Held now: the change (by its index) each (type, target, id) row took last; counted once for all targets.
            var taken = new Dictionary<(string Type, string Target, string Id), int>();
            foreach (var target in args.targetNames)
            {
                ArgumentNullException.ThrowIfNull(target, nameof(targetNames));
                for (var i = 0; i < args.changes.Count; i++)
                {
                    var change = args.changes[i];
                    held.Set(change, target);
                    payload.Value = DbValue(payloads[i]);
                    next.Value = ++sequence;
                    if (hold.ExecuteNonQuery() > 0)
                    {
                        taken[(change.EntityType.ToUpperInvariant(), target.ToUpperInvariant(), change.Id)] = i;
                    }
                }
            }

            using var advance = store.Command("UPDATE entity_sequence SET last = $last WHERE id = 1;", transaction);
            advance.Parameters.AddWithValue("$last", sequence);
            advance.ExecuteNonQuery();
            transaction.Commit();
            return taken.Values.Distinct().Count();
        }, cancellationToken);
    }

    public ValueTask<IReadOnlyList<EntityChange>> GetEntityChangesAsync(string entityType, string targetName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        ArgumentNullException.ThrowIfNull(targetName);
        return UseAsync((entityType, targetName), static (store, args) =>
        {
            using var command = store.Command("""
                SELECT entity_type, entity_id, kind, version, payload FROM entity_held
                WHERE entity_type = $type AND target_name = $target;
                """);
            command.Parameters.AddWithValue("$type", Stored(args.entityType));
            command.Parameters.AddWithValue("$target", Stored(args.targetName));
            var changes = new List<EntityChange>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                changes.Add(ReadChange(reader));
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
    public ValueTask<IReadOnlyList<HeldEntityChange>> ClaimEntityChangesAsync(string entityType, string targetName, EntityChangeClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        ArgumentNullException.ThrowIfNull(targetName);
        ArgumentNullException.ThrowIfNull(claim);
        ArgumentNullException.ThrowIfNull(claim.Owner, nameof(claim));
        if (claim.MaxChanges <= 0)
        {
            return ValueTask.FromResult<IReadOnlyList<HeldEntityChange>>([]);
        }

        return UseAsync((entityType, targetName, claim), static (store, args) =>
        {
            using var transaction = store._connection.BeginTransaction();
            using (var promote = store.Command(PromoteSql, transaction))
            {
                promote.Parameters.AddWithValue("$type", Stored(args.entityType));
                promote.Parameters.AddWithValue("$target", Stored(args.targetName));
                promote.Parameters.AddWithValue("$now", ToTicks(args.claim.Now));
                promote.ExecuteNonQuery();
            }

            using var page = store.Command(args.claim.HoldUpserts ? ClaimDeletesSql : ClaimSql, transaction);
            page.Parameters.AddWithValue("$type", Stored(args.entityType));
            page.Parameters.AddWithValue("$target", Stored(args.targetName));
            page.Parameters.AddWithValue("$now_ms", ToUnixMs(args.claim.Now));
            var after = page.Parameters.AddWithValue("$after", args.claim.AfterSequence);
            var max = page.Parameters.Add("$max", SqliteType.Integer);
            using var lease = store.Command("""
                UPDATE entity_held SET lease_owner = $owner, lease_until = $lease_until
                WHERE entity_type = $type AND target_name = $target AND entity_id = $id;
                """, transaction);
            lease.Parameters.AddWithValue("$owner", Stored(args.claim.Owner));
            lease.Parameters.AddWithValue("$lease_until", ToUnixMs(args.claim.LeaseUntil));
            using var drop = store.Command("DELETE FROM entity_held WHERE entity_type = $type AND target_name = $target AND entity_id = $id;", transaction);
            foreach (var command in (ReadOnlySpan<SqliteCommand>)[lease, drop])
            {
                command.Parameters.AddWithValue("$type", Stored(args.entityType));
                command.Parameters.AddWithValue("$target", Stored(args.targetName));
            }

            var leasedId = lease.Parameters.Add("$id", SqliteType.Text);
            var droppedId = drop.Parameters.Add("$id", SqliteType.Text);

            // Page by page in sequence order: a stale change is removed rather than handed out, and the claim reads on past
            // it until it has MaxChanges or nothing claimable is left.
            var claimed = new List<HeldEntityChange>(Math.Min(args.claim.MaxChanges, 1024));
            var rows = new List<(string StoredId, long Sequence, HeldEntityChange? Held)>();
            while (true)
            {
                var wanted = args.claim.MaxChanges - claimed.Count;
                max.Value = wanted;
                rows.Clear();
                using (var reader = page.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        var sequence = reader.GetInt64(6);
                        rows.Add(reader.GetInt64(9) != 0
                            ? (reader.GetString(1), sequence, null)
                            : (reader.GetString(1), sequence, new HeldEntityChange(ReadChange(reader), sequence, reader.GetInt64(5) != 0, reader.GetInt32(7), ReadTextOrNull(reader, 8))));
                    }
                }

                // The page is read before it is changed: the rows are leased (or removed) by their key.
                foreach (var (storedId, _, held) in rows)
                {
                    if (held is null)
                    {
                        droppedId.Value = storedId;
                        drop.ExecuteNonQuery();
                    }
                    else
                    {
                        leasedId.Value = storedId;
                        lease.ExecuteNonQuery();
                        claimed.Add(held);
                    }
                }

                if (rows.Count < wanted || claimed.Count == args.claim.MaxChanges)
                {
                    break;
                }

                after.Value = rows[^1].Sequence;
            }

            transaction.Commit();
            return (IReadOnlyList<HeldEntityChange>)claimed;
        }, cancellationToken, Commit.Progress);
    }

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
    public ValueTask<int> RenewEntityLeasesAsync(string entityType, string targetName, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        ArgumentNullException.ThrowIfNull(targetName);
        ArgumentNullException.ThrowIfNull(owner);
        return UseAsync((entityType, targetName, owner, leaseUntil: ToUnixMs(leaseUntil)), static (store, args) =>
        {
            using var command = store.Command("""
                UPDATE entity_held SET lease_until = $lease_until
                WHERE entity_type = $type AND target_name = $target AND lease_owner = $owner;
                """);
            command.Parameters.AddWithValue("$lease_until", args.leaseUntil);
            command.Parameters.AddWithValue("$type", Stored(args.entityType));
            command.Parameters.AddWithValue("$target", Stored(args.targetName));
            command.Parameters.AddWithValue("$owner", Stored(args.owner));
            return command.ExecuteNonQuery();
        }, cancellationToken, Commit.Progress);
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
            using var changes = store.Command(args.targetName is null
                ? "DELETE FROM entity_held WHERE entity_type = $type;"
                : "DELETE FROM entity_held WHERE entity_type = $type AND target_name = $target;", transaction);
            using var delivered = store.Command(args.targetName is null
                ? "DELETE FROM entity_delivered WHERE entity_type = $type;"
                : "DELETE FROM entity_delivered WHERE entity_type = $type AND target_name = $target;", transaction);
            using var tombstones = store.Command(args.targetName is null
                ? "DELETE FROM entity_tombstones WHERE entity_type = $type;"
                : "DELETE FROM entity_tombstones WHERE entity_type = $type AND target_name = $target;", transaction);
            using var counts = store.Command(args.targetName is null
                ? "DELETE FROM entity_sync_counts WHERE entity_type = $type;"
                : "DELETE FROM entity_sync_counts WHERE entity_type = $type AND target_name = $target;", transaction);
            foreach (var command in (ReadOnlySpan<SqliteCommand>)[changes, delivered, tombstones, counts])
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

    private static string ClaimPage(bool deletesOnly) => $"""
        SELECT {HeldColumns}, {StaleSql("h.entity_type", "h.target_name", "h.entity_id", "h.version", "(h.kind = 'delete')", "h.repair")}
        FROM entity_held AS h
        WHERE h.entity_type = $type AND h.target_name = $target AND h.sequence > $after{(deletesOnly ? " AND h.kind = 'delete'" : "")}
          AND (h.lease_until IS NULL OR h.lease_until <= $now_ms) AND h.available_at IS NULL
        ORDER BY h.sequence LIMIT $max;
        """;

    /// <summary>Reads an entity change from a row whose first five columns are entity_type, entity_id, kind, version, payload.</summary>
    private static EntityChange ReadChange(SqliteDataReader reader)
    {
        var type = ReadText(reader, 0);
        var id = ReadText(reader, 1);
        var version = reader.GetInt64(3);
        return reader.GetString(2) == Delete
            ? EntityChange.Delete(type, id, version)
            : EntityChange.Upsert(type, id, reader.IsDBNull(4) ? null : JsonSerializer.Deserialize(reader.GetString(4), SqliteJsonContext.Default.JsonElement), version);
    }

    /// <summary>The last number taken from the store-wide counter of held-change writes.</summary>
    private long ReadEntitySequence(SqliteTransaction transaction)
    {
        using var command = Command("SELECT last FROM entity_sequence WHERE id = 1;", transaction);
        return (long)command.ExecuteScalar()!;
    }

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
        public void Set(EntityChange change, string target, string? type = null)
        {
            Type.Value = Stored(type ?? change.EntityType);
            Target.Value = Stored(target);
            Id.Value = Stored(change.Id);
            if (Kind is not null)
            {
                Kind.Value = change.Kind == EntityChangeKind.Delete ? Delete : Upsert;
            }

            Version.Value = change.Version;
        }
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
