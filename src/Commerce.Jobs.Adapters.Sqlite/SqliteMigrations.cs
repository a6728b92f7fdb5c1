namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>
/// The store's schema, as numbered migrations applied in order. A migration is never edited once released: a change of
/// the schema is a new migration with the next number.
/// </summary>
/// <remarks>
/// Times are UTC ticks (100 ns since 0001-01-01), except lease ends, which are Unix milliseconds. Job names, entity
/// types and target names compare case-insensitively (<c>COLLATE NOCASE</c>), record and entity ids ordinally.
/// </remarks>
internal static class SqliteMigrations
{
    public const string VersionTable = """
        CREATE TABLE IF NOT EXISTS schema_version (
            version    INTEGER NOT NULL PRIMARY KEY,
            applied_at TEXT    NOT NULL
        );
        """;

    public static IReadOnlyList<string> All { get; } =
    [
        // 1: run history, record failures, inbox, occurrences, checkpoints, entity sync.
        """
        CREATE TABLE IF NOT EXISTS runs (
            seq             INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id          TEXT    NOT NULL,
            job_name        TEXT    NOT NULL COLLATE NOCASE,
            trigger_kind    TEXT    NOT NULL,
            host_name       TEXT    NOT NULL,
            started_at      INTEGER NOT NULL,
            ended_at        INTEGER NOT NULL,
            outcome         TEXT    NOT NULL,
            read_count      INTEGER NOT NULL,
            delivered_count INTEGER NOT NULL,
            skipped_count   INTEGER NOT NULL,
            failed_count    INTEGER NOT NULL,
            error           TEXT,
            log             TEXT    NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_runs_job ON runs (job_name, seq);

        CREATE TABLE IF NOT EXISTS record_failures (
            job_name        TEXT    NOT NULL COLLATE NOCASE,
            record_id       TEXT    NOT NULL,
            status          TEXT    NOT NULL,
            error           TEXT,
            attempts        INTEGER NOT NULL,
            last_attempt_at INTEGER NOT NULL,
            PRIMARY KEY (job_name, record_id)
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS inbox (
            sequence        INTEGER PRIMARY KEY AUTOINCREMENT,
            job_name        TEXT    NOT NULL COLLATE NOCASE,
            record_id       TEXT    NOT NULL,
            idempotency_key TEXT    NOT NULL,
            payload         BLOB    NOT NULL,
            state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'failed')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            last_error      TEXT,
            owner           TEXT,
            lease_until     INTEGER
        );
        CREATE INDEX IF NOT EXISTS ix_inbox_job ON inbox (job_name, state, sequence);

        CREATE TABLE IF NOT EXISTS occurrences (
            job_name     TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE,
            scheduled_at INTEGER NOT NULL,
            owner        TEXT    NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS checkpoints (
            job_name TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,
            value    TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS entity_changes (
            entity_type TEXT    NOT NULL COLLATE NOCASE,
            target_name TEXT    NOT NULL COLLATE NOCASE,
            entity_id   TEXT    NOT NULL,
            kind        TEXT    NOT NULL CHECK (kind IN ('upsert', 'delete')),
            version     INTEGER NOT NULL,
            payload     TEXT,
            PRIMARY KEY (entity_type, target_name, entity_id, kind)
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS entity_delivered (
            entity_type TEXT    NOT NULL COLLATE NOCASE,
            target_name TEXT    NOT NULL COLLATE NOCASE,
            entity_id   TEXT    NOT NULL,
            version     INTEGER NOT NULL,
            PRIMARY KEY (entity_type, target_name, entity_id)
        ) WITHOUT ROWID;
        """,

        // 2: operator state: job controls (paused, disabled) and entity-sync configurations changed at run time.
        """
        CREATE TABLE IF NOT EXISTS job_controls (
            job_name   TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE,
            paused     INTEGER NOT NULL,
            disabled   INTEGER NOT NULL,
            changed_at INTEGER NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS entity_sync_configurations (
            entity_type   TEXT    NOT NULL PRIMARY KEY COLLATE NOCASE,
            configuration TEXT,
            changed_at    INTEGER NOT NULL
        ) WITHOUT ROWID;
        """,

        // 3: one operator-state plane, newest change wins per field: job controls and entity-sync configurations move into
        // it, each field stamped with its row's changed time (to the microsecond); a configuration that is not readable
        // JSON was ignored and is dropped.
        """
        CREATE TABLE IF NOT EXISTS operator_state (
            kind       TEXT    NOT NULL,
            name       TEXT    NOT NULL COLLATE NOCASE,
            field      TEXT    NOT NULL,
            value      TEXT,
            changed_at INTEGER NOT NULL,
            PRIMARY KEY (kind, name, field)
        ) WITHOUT ROWID;

        INSERT OR IGNORE INTO operator_state (kind, name, field, value, changed_at)
        SELECT 'job', job_name, 'paused', CASE WHEN paused <> 0 THEN 'true' ELSE 'false' END, changed_at - changed_at % 10 FROM job_controls
        UNION ALL
        SELECT 'job', job_name, 'disabled', CASE WHEN disabled <> 0 THEN 'true' ELSE 'false' END, changed_at - changed_at % 10 FROM job_controls;

        INSERT OR IGNORE INTO operator_state (kind, name, field, value, changed_at)
        SELECT 'entity-sync', entity_type, 'deleted', CASE WHEN configuration IS NULL THEN 'true' ELSE 'false' END, changed_at - changed_at % 10
        FROM entity_sync_configurations WHERE configuration IS NULL OR json_valid(configuration)
        UNION ALL
        SELECT 'entity-sync', entity_type, f.field,
            CASE WHEN f.field = 'targets' THEN json_extract(configuration, '$.targets')
                 WHEN json_extract(configuration, f.path) IS NULL THEN f.fallback
                 WHEN json_extract(configuration, f.path) THEN 'true' ELSE 'false' END,
            changed_at - changed_at % 10
        FROM entity_sync_configurations
        CROSS JOIN (SELECT 'enabled' AS field, '$.enabled' AS path, 'true' AS fallback
                    UNION ALL SELECT 'paused', '$.paused', 'false'
                    UNION ALL SELECT 'incremental-sync', '$.incrementalSync', 'true'
                    UNION ALL SELECT 'targets', '$.targets', NULL) AS f
        WHERE configuration IS NOT NULL AND json_valid(configuration);

        DROP TABLE job_controls;
        DROP TABLE entity_sync_configurations;
        """,

        // 4: one held change per (type, target, id), keyed without its kind: of an id held both as an upsert and as a
        // delete, the higher version stays (the delete on a tie). The delivered version of a delete is also kept in
        // entity_tombstones with the time it was delivered, so that old ones can be purged; a version delivered before
        // has no row there (its kind is not known) and is never purged. Like every migration, safe to run again.
        """
        CREATE TABLE IF NOT EXISTS entity_changes_by_id (
            entity_type TEXT    NOT NULL COLLATE NOCASE,
            target_name TEXT    NOT NULL COLLATE NOCASE,
            entity_id   TEXT    NOT NULL,
            kind        TEXT    NOT NULL CHECK (kind IN ('upsert', 'delete')),
            version     INTEGER NOT NULL,
            payload     TEXT,
            PRIMARY KEY (entity_type, target_name, entity_id)
        ) WITHOUT ROWID;

        INSERT OR IGNORE INTO entity_changes_by_id (entity_type, target_name, entity_id, kind, version, payload)
        SELECT c.entity_type, c.target_name, c.entity_id, c.kind, c.version, c.payload FROM entity_changes AS c
        WHERE NOT EXISTS (
            SELECT 1 FROM entity_changes AS o
            WHERE o.entity_type = c.entity_type AND o.target_name = c.target_name AND o.entity_id = c.entity_id AND o.kind <> c.kind
              AND (o.version > c.version OR (o.version = c.version AND o.kind = 'delete')));

        DROP TABLE entity_changes;
        ALTER TABLE entity_changes_by_id RENAME TO entity_changes;

        CREATE TABLE IF NOT EXISTS entity_tombstones (
            entity_type  TEXT    NOT NULL COLLATE NOCASE,
            target_name  TEXT    NOT NULL COLLATE NOCASE,
            entity_id    TEXT    NOT NULL,
            version      INTEGER NOT NULL,
            delivered_at INTEGER NOT NULL,
            PRIMARY KEY (entity_type, target_name, entity_id)
        ) WITHOUT ROWID;
        """,

        // 5: held entity changes are claimed under leases: they move to entity_held (a new name, so that running the whole
        // script again, migration 4 included, finds entity_changes empty and changes nothing held), each with a sequence
        // from the store-wide counter entity_sequence (a new one on every write that replaces the row; existing rows get
        // theirs in (type, target, id) order), a repair mark, the lease (owner, end in Unix ms), skipped attempts, the
        // last error and the time a skipped change is claimable again (ticks). entity_sync_counts keeps per (type,
        // target) the delivered / skipped / failed counts, the last delivery and the last error. A claim reads one range
        // of ix_entity_held_claim (or of ix_entity_held_deletes while upserts are held) per page.
        """
        CREATE TABLE IF NOT EXISTS entity_held (
            entity_type  TEXT    NOT NULL COLLATE NOCASE,
            target_name  TEXT    NOT NULL COLLATE NOCASE,
            entity_id    TEXT    NOT NULL,
            kind         TEXT    NOT NULL CHECK (kind IN ('upsert', 'delete')),
            version      INTEGER NOT NULL,
            payload      TEXT,
            repair       INTEGER NOT NULL DEFAULT 0,
            sequence     INTEGER NOT NULL,
            lease_owner  TEXT,
            lease_until  INTEGER,
            attempts     INTEGER NOT NULL DEFAULT 0,
            last_error   TEXT,
            available_at INTEGER,
            PRIMARY KEY (entity_type, target_name, entity_id)
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS ix_entity_held_claim ON entity_held (entity_type, target_name, sequence);
        CREATE INDEX IF NOT EXISTS ix_entity_held_deletes ON entity_held (entity_type, target_name, sequence) WHERE kind = 'delete';
        CREATE INDEX IF NOT EXISTS ix_entity_held_owner ON entity_held (entity_type, target_name, lease_owner) WHERE lease_owner IS NOT NULL;

        CREATE TABLE IF NOT EXISTS entity_sequence (
            id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
            last INTEGER NOT NULL
        );
        INSERT OR IGNORE INTO entity_sequence (id, last) VALUES (1, 0);

        INSERT OR IGNORE INTO entity_held (entity_type, target_name, entity_id, kind, version, payload, sequence)
        SELECT entity_type, target_name, entity_id, kind, version, payload,
               (SELECT last FROM entity_sequence) + ROW_NUMBER() OVER (ORDER BY entity_type, target_name, entity_id)
        FROM entity_changes;
        UPDATE entity_sequence SET last = MAX(last, COALESCE((SELECT MAX(sequence) FROM entity_held), 0));
        DROP TABLE entity_changes;

        CREATE TABLE IF NOT EXISTS entity_sync_counts (
            entity_type            TEXT    NOT NULL COLLATE NOCASE,
            target_name            TEXT    NOT NULL COLLATE NOCASE,
            delivered              INTEGER NOT NULL DEFAULT 0,
            skipped                INTEGER NOT NULL DEFAULT 0,
            failed                 INTEGER NOT NULL DEFAULT 0,
            last_delivered_version INTEGER,
            last_delivered_at      INTEGER,
            last_error             TEXT,
            last_error_at          INTEGER,
            PRIMARY KEY (entity_type, target_name)
        ) WITHOUT ROWID;
        """,

        // 6: a claim reads only rows it may hand out: a skipped change (with a due time) waits in ix_entity_held_waiting,
        // by due time, until a claim at or after that time clears its due time; the claim indexes hold only rows without one.
        """
        DROP INDEX IF EXISTS ix_entity_held_claim;
        DROP INDEX IF EXISTS ix_entity_held_deletes;
        CREATE INDEX ix_entity_held_claim ON entity_held (entity_type, target_name, sequence) WHERE available_at IS NULL;
        CREATE INDEX ix_entity_held_deletes ON entity_held (entity_type, target_name, sequence) WHERE kind = 'delete' AND available_at IS NULL;
        CREATE INDEX IF NOT EXISTS ix_entity_held_waiting ON entity_held (entity_type, target_name, available_at) WHERE available_at IS NOT NULL;
        """,

        // 7: the audit trail of operators' changes (pause, resume, enable, disable, job definitions, entity-sync
        // configurations): one row per change, its values a JSON array of [field, old, new]; the store keeps the newest
        // 100 per (kind, name), read newest first through ix_operator_changes_name.
        """
        CREATE TABLE IF NOT EXISTS operator_changes (
            seq           INTEGER PRIMARY KEY AUTOINCREMENT,
            kind          TEXT    NOT NULL,
            name          TEXT    NOT NULL COLLATE NOCASE,
            action        TEXT    NOT NULL,
            changed_at    INTEGER NOT NULL,
            changed_by    TEXT,
            change_values TEXT    NOT NULL
        );
        CREATE INDEX IF NOT EXISTS ix_operator_changes_name ON operator_changes (kind, name, changed_at, seq);
        """,
    ];

    /// <summary>Gets the statement that records migration <paramref name="version"/> as applied.</summary>
    public static string Record(int version) =>
        $"INSERT OR IGNORE INTO schema_version (version, applied_at) VALUES ({version}, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));";
}
