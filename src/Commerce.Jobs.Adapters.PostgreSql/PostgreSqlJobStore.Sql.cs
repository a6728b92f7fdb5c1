namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>The store's statements, written once per schema. Parameters are positional (<c>$1</c>…); values never enter the text.</summary>
internal sealed partial class PostgreSqlJobStore
{
    private sealed class Sql(string s)
    {
        // One statement for a group of runs ($1…$14 are arrays, one element per run), inserted in their order (seq follows it).
        public readonly string AddRuns = $"""
            INSERT INTO {s}.runs (job_key, run_id, job_name, trigger_kind, host_name, started_at, ended_at, outcome,
                                  read_count, delivered_count, skipped_count, failed_count, error, log)
            SELECT job_key, run_id, job_name, trigger_kind, host_name, started_at, ended_at, outcome,
                   read_count, delivered_count, skipped_count, failed_count, error, log
            FROM unnest($1::text[], $2::uuid[], $3::text[], $4::smallint[], $5::text[], $6::timestamptz[], $7::timestamptz[], $8::smallint[],
                        $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::text[], $14::jsonb[])
                 WITH ORDINALITY AS u(job_key, run_id, job_name, trigger_kind, host_name, started_at, ended_at, outcome,
                                      read_count, delivered_count, skipped_count, failed_count, error, log, ord)
            ORDER BY ord
            """;

        public readonly string GetRuns = $"""
            SELECT run_id, job_name, trigger_kind, host_name, started_at, ended_at, outcome,
                   read_count, delivered_count, skipped_count, failed_count, error, log::text
            FROM {s}.runs WHERE job_key = $1 ORDER BY seq DESC LIMIT $2
            """;

        // Each run asked about ($2, in its order: ord) that is in the job's history — a row when found, through runs_run_id, the
        // newest if an id was stored twice — and the outcome of the job's run before it (NULL when first): the entry before the
        // run's in runs_job_seq, one step back, whose job is the run's job (else the run is its job's first). Ordered by
        // (job_key, seq) with no equality on job_key, only that index serves the step (with one, the planner may walk the
        // primary key back instead, filtering by job past every other job's runs). One statement for a burst of a job's runs.
        public readonly string GetPredecessors = $"""
            SELECT u.ord, (SELECT CASE WHEN p.job_key = $1 THEN p.outcome END FROM {s}.runs AS p
                           WHERE (p.job_key, p.seq) < ($1, r.seq) ORDER BY p.job_key DESC, p.seq DESC LIMIT 1)
            FROM unnest($2::uuid[]) WITH ORDINALITY AS u(run_id, ord)
            CROSS JOIN LATERAL (SELECT r.seq FROM {s}.runs AS r WHERE r.run_id = u.run_id AND r.job_key = $1 ORDER BY r.seq DESC LIMIT 1) AS r
            """;

        // Newest first, drop from the oldest end while there are more than $2 or the oldest ended before $3: everything older
        // than the oldest run that is both within the last $2 and recent enough goes.
        public readonly string PurgeRuns = $"""
            DELETE FROM {s}.runs WHERE job_key = $1 AND seq < coalesce(
                (SELECT min(seq) FROM (SELECT seq, ended_at, row_number() OVER (ORDER BY seq DESC) AS rn FROM {s}.runs WHERE job_key = $1) AS r
                 WHERE rn <= $2 AND ended_at >= $3),
                9223372036854775807)
            """;

        // One upsert for the whole list; a record listed twice counts two attempts and keeps its last error. Rows are keyed by
        // the id's hash ($6, IdHash): an id may be longer than an index entry can be.
        public readonly string AddFailures = $"""
            INSERT INTO {s}.record_failures AS f (job_key, record_hash, record_id, status, error, attempts, last_attempt_at)
            SELECT $1, hash, id, status, error, n::integer, at FROM (
                SELECT DISTINCT ON (hash) hash, id, status, error, at, count(*) OVER (PARTITION BY hash) AS n
                FROM unnest($2::text[], $3::smallint[], $4::text[], $5::timestamptz[], $6::bytea[]) WITH ORDINALITY AS u(id, status, error, at, hash, ord)
                ORDER BY hash, ord DESC) AS x
            ON CONFLICT (job_key, record_hash) DO UPDATE
            SET status = excluded.status, error = excluded.error, attempts = f.attempts + excluded.attempts, last_attempt_at = excluded.last_attempt_at
            """;

        public readonly string RemoveFailures = $"DELETE FROM {s}.record_failures WHERE job_key = $1 AND record_hash = ANY($2)";

        // A page in the order of the primary key (job_key, record_hash), which serves the range and the order: $2 is the hash of
        // the id the page comes after (empty, below every hash, for the first page).
        public readonly string GetFailuresPage = $"""
            SELECT record_id, status, error, attempts, last_attempt_at FROM {s}.record_failures
            WHERE job_key = $1 AND record_hash > $2 ORDER BY record_hash LIMIT $3
            """;

        public readonly string FindFailures = $"SELECT record_id, status, error, attempts, last_attempt_at FROM {s}.record_failures WHERE job_key = $1 AND record_hash = ANY($2)";

        public readonly string Enqueue = $"""
            INSERT INTO {s}.inbox (job_key, record_id, idempotency_key, payload)
            SELECT $1, record_id, idempotency_key, payload
            FROM unnest($2::text[], $3::text[], $4::bytea[]) WITH ORDINALITY AS u(record_id, idempotency_key, payload, ord)
            ORDER BY ord
            """;

        // Rows another claimer has locked are skipped, not waited for; a row whose lease another claimer set meanwhile
        // fails the re-check of the WHERE clause after the lock and is left out.
        public readonly string Claim = $"""
            WITH picked AS (
                SELECT sequence FROM {s}.inbox
                WHERE job_key = $1 AND sequence > $2 AND (NOT failed OR $3) AND (lease_until IS NULL OR lease_until <= $4)
                ORDER BY sequence
                LIMIT $5
                FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE {s}.inbox AS i SET owner = $6, lease_until = $7
                FROM picked WHERE i.sequence = picked.sequence
                RETURNING i.sequence, i.record_id, i.idempotency_key, i.payload, i.attempts, i.last_error)
            SELECT sequence, record_id, idempotency_key, payload, attempts, last_error FROM claimed ORDER BY sequence
            """;

        // One statement for the whole list: delivered records go (whoever holds them); skipped and failed ones are released
        // with one more attempt only while $5 still owns them; released ones (transient: never attempted) only lose $5's lease.
        public readonly string Complete = $"""
            WITH c AS (SELECT * FROM unnest($2::bigint[], $3::smallint[], $4::text[]) AS c(sequence, status, error)),
            delivered AS (
                DELETE FROM {s}.inbox AS i USING c
                WHERE i.sequence = c.sequence AND i.job_key = $1 AND c.status = {(int)RecordStatus.Delivered}),
            released AS (
                UPDATE {s}.inbox AS i SET owner = NULL, lease_until = NULL FROM c
                WHERE i.sequence = c.sequence AND i.job_key = $1 AND c.status = {(int)RecordStatus.TransientFailure} AND i.owner = $5)
            UPDATE {s}.inbox AS i
            SET attempts = i.attempts + 1, last_error = c.error, failed = (c.status = {(int)RecordStatus.PermanentFailure}), owner = NULL, lease_until = NULL
            FROM c
            WHERE i.sequence = c.sequence AND i.job_key = $1 AND c.status NOT IN ({(int)RecordStatus.Delivered}, {(int)RecordStatus.TransientFailure}) AND i.owner = $5
            """;

        public readonly string CompleteDelivered = $"DELETE FROM {s}.inbox WHERE job_key = $1 AND sequence = ANY($2)";

        public readonly string RenewLeases = $"UPDATE {s}.inbox SET lease_until = $3 WHERE job_key = $1 AND owner = $2 AND lease_until IS NOT NULL";

        public readonly string CountPending = $"SELECT count(*) FROM {s}.inbox WHERE job_key = $1 AND NOT failed";

        // Insert-if-absent, or move the job's last claimed occurrence forward: exactly one claimer of an occurrence changes the row.
        public readonly string ClaimOccurrence = $"""
            INSERT INTO {s}.occurrences AS o (job_key, scheduled_time, owner) VALUES ($1, $2, $3)
            ON CONFLICT (job_key) DO UPDATE SET scheduled_time = excluded.scheduled_time, owner = excluded.owner
            WHERE o.scheduled_time < excluded.scheduled_time
            """;

        public readonly string GetCheckpoint = $"SELECT checkpoint FROM {s}.checkpoints WHERE job_key = $1";

        public readonly string SetCheckpoint = $"""
            INSERT INTO {s}.checkpoints (job_key, checkpoint) VALUES ($1, $2)
            ON CONFLICT (job_key) DO UPDATE SET checkpoint = excluded.checkpoint
            """;

        public readonly string ClearCheckpoint = $"DELETE FROM {s}.checkpoints WHERE job_key = $1";

        public readonly string GetOperatorState = $"SELECT name_key, name, field, value, changed_at FROM {s}.operator_state WHERE kind = $1 ORDER BY name_key, changed_at DESC";

        // Newest wins per field, a tie keeps the stored one; a field given twice counts once, as if applied in order.
        public readonly string SetOperatorState = $"""
            INSERT INTO {s}.operator_state AS o (kind, name_key, field, name, value, changed_at)
            SELECT $1, $2, field, $3, value, at FROM (
                SELECT DISTINCT ON (field) field, value, at
                FROM unnest($4::text[], $5::text[], $6::timestamptz[]) WITH ORDINALITY AS u(field, value, at, ord)
                ORDER BY field, at DESC, ord) AS x
            ON CONFLICT (kind, name_key, field) DO UPDATE
            SET name = excluded.name, value = excluded.value, changed_at = excluded.changed_at
            WHERE excluded.changed_at > o.changed_at
            """;

        // The audit trail: a change appended, then its (kind, name) cut to the newest $3 (by time, then append order).
        public readonly string AppendChange = $"""
            INSERT INTO {s}.operator_changes (kind, name_key, name, action, changed_at, changed_by, change_values)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """;

        public readonly string PruneChanges = $"""
            DELETE FROM {s}.operator_changes WHERE kind = $1 AND name_key = $2 AND seq IN (
                SELECT seq FROM {s}.operator_changes WHERE kind = $1 AND name_key = $2
                ORDER BY changed_at DESC, seq DESC OFFSET $3)
            """;

        public readonly string GetChanges = $"""
            SELECT name, action, changed_at, changed_by, change_values FROM {s}.operator_changes
            WHERE kind = $1 AND name_key = $2 ORDER BY changed_at DESC, seq DESC LIMIT $3
            """;

        // Entity sync: writers of one (entity type, target) take its advisory lock, in key order, for the transaction.
        public readonly string LockEntityTargets = """
            SELECT count(pg_advisory_xact_lock(h)) FROM (
                SELECT DISTINCT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY 1 OFFSET 0) AS locks
            """;

        // Held and delivered rows are keyed by the entity id's hash (IdHash), like record failures; ids travel as hashes
        // where they are only looked up. A change is held unless it is stale against the delivered one (an incremental
        // change not after it, a repair ($9) below it; a delivered row of unknown kind comes before a change of its version),
        // and replaces the held one only when it comes after it: a new sequence, attempts and error cleared, the lease kept.
        public readonly string PutHeld = $"""
            INSERT INTO {s}.entity_changes AS e (entity_key, target_key, entity_id, kind, version, entity_type, payload, entity_id_hash, repair)
            SELECT entity_key, target_key, entity_id, kind, version, entity_type, payload, entity_id_hash, $9
            FROM (
                SELECT u.*, {Stale(s, "u", "$9")} AS stale
                FROM unnest($1::text[], $2::text[], $3::text[], $4::smallint[], $5::bigint[], $6::text[], $7::jsonb[], $8::bytea[]) WITH ORDINALITY
                    AS u(entity_key, target_key, entity_id, kind, version, entity_type, payload, entity_id_hash, ord)) AS x
            WHERE NOT stale
            ORDER BY ord
            ON CONFLICT (entity_key, target_key, entity_id_hash) DO UPDATE
            SET kind = excluded.kind, version = excluded.version, entity_type = excluded.entity_type, payload = excluded.payload,
                repair = excluded.repair, sequence = excluded.sequence, attempts = 0, last_error = NULL, available_at = NULL
            WHERE (excluded.version, excluded.kind) > (e.version, e.kind)
            RETURNING e.entity_key, e.target_key, e.entity_id
            """;

        // A page of held changes in sequence order (one range of entity_changes_claim, or of entity_changes_claim_deletes
        // when upserts are held back), as the inbox claims: rows another claimer has locked are skipped, not waited for.
        // A row stale against the delivered one is deleted instead of leased, and comes back with only its sequence (NULL
        // type), so the caller sees how far the page went and claims on past it.
        public readonly string ClaimHeld = ClaimHeldSql(s, deletesOnly: false);

        public readonly string ClaimHeldDeletes = ClaimHeldSql(s, deletesOnly: true);

        // Skipped changes due at $3 become claimable again (due time cleared): one range of entity_changes_waiting, so that
        // claims never read the ones not yet due. Rows another transaction has locked are left for a later claim.
        public readonly string PromoteHeld = $"""
            UPDATE {s}.entity_changes AS e SET available_at = NULL
            FROM (SELECT ctid AS row_id FROM {s}.entity_changes
                  WHERE entity_key = $1 AND target_key = $2 AND available_at <= $3
                  FOR UPDATE SKIP LOCKED) AS due
            WHERE e.ctid = due.row_id
            """;

        // Delivered and permanently failed changes: the owner's held row goes unless it comes after the completed change.
        public readonly string CompleteRemoveHeld = $"""
            DELETE FROM {s}.entity_changes AS e
            USING unnest($4::bytea[], $5::smallint[], $6::bigint[]) AS u(entity_id_hash, kind, version)
            WHERE e.entity_key = $1 AND e.target_key = $2 AND e.entity_id_hash = u.entity_id_hash AND e.lease_owner = $3
              AND (e.version, e.kind) <= (u.version, u.kind)
            """;

        // Skipped changes: the owner's held row, if it is still the skipped change, counts an attempt and waits until $8.
        public readonly string CompleteSkipHeld = $"""
            UPDATE {s}.entity_changes AS e
            SET attempts = e.attempts + 1, last_error = u.error, available_at = $8, lease_owner = NULL, lease_until = NULL
            FROM unnest($4::bytea[], $5::smallint[], $6::bigint[], $7::text[]) AS u(entity_id_hash, kind, version, error)
            WHERE e.entity_key = $1 AND e.target_key = $2 AND e.entity_id_hash = u.entity_id_hash AND e.lease_owner = $3
              AND (e.version, e.kind) = (u.version, u.kind)
            """;

        // Whatever the outcome, the owner's lease on a completed id ends (its row replaced meanwhile, or released unattempted).
        public readonly string ReleaseHeld = $"""
            UPDATE {s}.entity_changes SET lease_owner = NULL, lease_until = NULL
            WHERE entity_key = $1 AND target_key = $2 AND lease_owner = $3 AND entity_id_hash = ANY($4)
            """;

        public readonly string RenewHeld = $"UPDATE {s}.entity_changes SET lease_until = $4 WHERE entity_key = $1 AND target_key = $2 AND lease_owner = $3";

        // Adds a completion's counts; the last delivered version only grows (greatest ignores NULL), its time and the last
        // error are replaced only when the completion has one.
        public readonly string AddEntitySyncCounts = $"""
            INSERT INTO {s}.entity_sync_counts AS n (entity_key, target_key, delivered, skipped, failed, last_delivered_version, last_delivered_at, last_error, last_error_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (entity_key, target_key) DO UPDATE
            SET delivered = n.delivered + excluded.delivered, skipped = n.skipped + excluded.skipped, failed = n.failed + excluded.failed,
                last_delivered_version = greatest(excluded.last_delivered_version, n.last_delivered_version),
                last_delivered_at = coalesce(excluded.last_delivered_at, n.last_delivered_at),
                last_error = CASE WHEN excluded.last_error_at IS NULL THEN n.last_error ELSE excluded.last_error END,
                last_error_at = coalesce(excluded.last_error_at, n.last_error_at)
            """;

        public readonly string GetEntitySyncCounts = $"""
            SELECT (SELECT count(*) FROM {s}.entity_changes WHERE entity_key = $1 AND target_key = $2),
                   n.delivered, n.skipped, n.failed, n.last_delivered_version, n.last_delivered_at, n.last_error, n.last_error_at
            FROM (VALUES (1)) AS one LEFT JOIN {s}.entity_sync_counts AS n ON n.entity_key = $1 AND n.target_key = $2
            """;

        // Records the last delivered change of each id (its version, kind and time) unless the recorded one comes after it;
        // a row of unknown kind (delivered before migration 5) comes before a change of the same version.
        public readonly string RaiseDelivered = $"""
            INSERT INTO {s}.entity_delivered AS d (entity_key, target_key, entity_id, entity_id_hash, version, kind, delivered_at)
            SELECT DISTINCT ON (entity_key, entity_id_hash) entity_key, $1, entity_id, entity_id_hash, version, kind, $7
            FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bytea[], $6::smallint[]) AS u(entity_key, entity_id, version, entity_id_hash, kind)
            ORDER BY entity_key, entity_id_hash, version DESC, kind DESC
            ON CONFLICT (entity_key, target_key, entity_id_hash) DO UPDATE
            SET version = excluded.version, kind = excluded.kind, delivered_at = excluded.delivered_at
            WHERE (excluded.version, excluded.kind) >= (d.version, coalesce(d.kind, -1))
            """;

        public readonly string PurgeTombstones = $"DELETE FROM {s}.entity_delivered WHERE entity_key = $1 AND kind = {(int)EntityChangeKind.Delete} AND delivered_at < $2";

        public readonly string GetHeld = $"SELECT entity_type, entity_id, kind, version, payload::text FROM {s}.entity_changes WHERE entity_key = $1 AND target_key = $2";

        public readonly string GetDelivered = $"SELECT entity_id, version FROM {s}.entity_delivered WHERE entity_key = $1 AND target_key = $2";

        public readonly string ClearHeld = $"DELETE FROM {s}.entity_changes WHERE entity_key = $1 AND ($2::text IS NULL OR target_key = $2)";

        public readonly string ClearDelivered = $"DELETE FROM {s}.entity_delivered WHERE entity_key = $1 AND ($2::text IS NULL OR target_key = $2)";

        public readonly string ClearCounts = $"DELETE FROM {s}.entity_sync_counts WHERE entity_key = $1 AND ($2::text IS NULL OR target_key = $2)";

        // Whether a change (row alias a: entity_key, target_key, entity_id_hash, version, kind) is stale against the delivered
        // one: an incremental change not after it, a repair below it; a delivered row of unknown kind (delivered before
        // migration 5) counts as an upsert, as in the SQLite store. A subquery in the select list: one primary-key probe per
        // row, whatever the planner thinks of the tables' sizes.
        private static string Stale(string s, string a, string repair) => $"""
            EXISTS (SELECT FROM {s}.entity_delivered AS d
                    WHERE d.entity_key = {a}.entity_key AND d.target_key = {a}.target_key AND d.entity_id_hash = {a}.entity_id_hash
                      AND ((({a}.version, {a}.kind) < (d.version, coalesce(d.kind, {(int)EntityChangeKind.Upsert})))
                           OR (NOT {repair} AND ({a}.version, {a}.kind) = (d.version, coalesce(d.kind, {(int)EntityChangeKind.Upsert})))))
            """;

        // $1 type, $2 target, $3 after sequence, $4 now, $5 how many, $6 owner, $7 lease until. Only rows without a due time
        // are in the range (a claim clears the due time of skipped rows that came due first: PromoteHeld). The picked rows
        // are leased or removed by their row address (ctid), which the lock keeps in place: a join on the key instead was
        // planned, on a type's fresh rows without statistics, as a scan of all its rows per picked row.
        private static string ClaimHeldSql(string s, bool deletesOnly) => $"""
            WITH picked AS (
                SELECT e.ctid AS row_id, {Stale(s, "e", "e.repair")} AS stale
                FROM {s}.entity_changes AS e
                WHERE e.entity_key = $1 AND e.target_key = $2 AND e.sequence > $3{(deletesOnly ? $" AND e.kind = {(int)EntityChangeKind.Delete}" : string.Empty)}
                  AND (e.lease_until IS NULL OR e.lease_until <= $4) AND e.available_at IS NULL
                ORDER BY e.sequence
                LIMIT $5
                FOR UPDATE OF e SKIP LOCKED),
            removed AS (
                DELETE FROM {s}.entity_changes AS e USING picked
                WHERE e.ctid = picked.row_id AND picked.stale
                RETURNING e.sequence),
            claimed AS (
                UPDATE {s}.entity_changes AS e SET lease_owner = $6, lease_until = $7
                FROM picked
                WHERE e.ctid = picked.row_id AND NOT picked.stale
                RETURNING e.sequence, e.entity_type, e.entity_id, e.kind, e.version, e.payload::text AS payload, e.repair, e.attempts, e.last_error)
            SELECT sequence, entity_type, entity_id, kind, version, payload, repair, attempts, last_error FROM claimed
            UNION ALL
            SELECT sequence, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM removed
            ORDER BY 1
            """;
    }
}
