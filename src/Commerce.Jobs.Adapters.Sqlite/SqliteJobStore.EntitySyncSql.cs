namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>
/// The entity-sync statements of <c>entity_held</c>: holding a change unless it is stale against the delivered one or
/// not after the held one, making skipped changes that came due claimable again, and claiming a page of held changes in
/// sequence order.
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

    private static string ClaimPage(bool deletesOnly) => $"""
        SELECT {HeldColumns}, {StaleSql("h.entity_type", "h.target_name", "h.entity_id", "h.version", "(h.kind = 'delete')", "h.repair")}
        FROM entity_held AS h
        WHERE h.entity_type = $type AND h.target_name = $target AND h.sequence > $after{(deletesOnly ? " AND h.kind = 'delete'" : "")}
          AND (h.lease_until IS NULL OR h.lease_until <= $now_ms) AND h.available_at IS NULL
        ORDER BY h.sequence LIMIT $max;
        """;
}
