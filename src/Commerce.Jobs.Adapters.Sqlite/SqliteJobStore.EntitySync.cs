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
}
