using System.Globalization;
using System.Text;

namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>
/// The PostgreSQL store's schema migrations, for hosts that apply them themselves (<see cref="PostgreSqlStoreOptions.AutoMigrate"/> off):
/// a deployment step runs <see cref="GetScript(string)"/> with <c>psql</c> or any migration tool.
/// </summary>
/// <remarks>
/// The script is idempotent and versioned: it records each applied version in <c>schema_version</c> in the store's schema,
/// applies only the versions not recorded yet, and holds a transaction-level advisory lock while it does, so running it
/// from several hosts at once, or twice, migrates once. The store runs the same script when it migrates itself.
/// </remarks>
public static class PostgreSqlStoreMigrations
{
    /// <summary>The first key of the advisory lock the migration holds ('CJOB'); the second is the schema name's hash.</summary>
    internal const int LockClass = 0x434A4F42;

    // Each migration's statements, in order; "{s}" stands for the quoted schema. Never edit a shipped one: add a new version.
    private static readonly string[] Versions =
    [
        """
        CREATE TABLE {s}.runs (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            job_key text COLLATE "C" NOT NULL,
            run_id uuid NOT NULL,
            job_name text NOT NULL,
            trigger_kind smallint NOT NULL,
            host_name text NOT NULL,
            started_at timestamptz NOT NULL,
            ended_at timestamptz NOT NULL,
            outcome smallint NOT NULL,
            read_count bigint NOT NULL,
            delivered_count bigint NOT NULL,
            skipped_count bigint NOT NULL,
            failed_count bigint NOT NULL,
            error text,
            log jsonb NOT NULL);
        CREATE INDEX runs_job_seq ON {s}.runs (job_key, seq);

        CREATE TABLE {s}.record_failures (
            job_key text COLLATE "C" NOT NULL,
            record_id text COLLATE "C" NOT NULL,
            status smallint NOT NULL,
            error text,
            attempts integer NOT NULL,
            last_attempt_at timestamptz NOT NULL,
            PRIMARY KEY (job_key, record_id));

        CREATE TABLE {s}.inbox (
            sequence bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            job_key text COLLATE "C" NOT NULL,
            record_id text NOT NULL,
            idempotency_key text NOT NULL,
            payload bytea NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            last_error text,
            failed boolean NOT NULL DEFAULT false,
            owner text,
            lease_until timestamptz) WITH (fillfactor = 80);
        CREATE INDEX inbox_job_sequence ON {s}.inbox (job_key, sequence);

        CREATE TABLE {s}.occurrences (
            job_key text COLLATE "C" PRIMARY KEY,
            scheduled_time timestamptz NOT NULL,
            owner text NOT NULL);

        CREATE TABLE {s}.checkpoints (
            job_key text COLLATE "C" PRIMARY KEY,
            checkpoint text NOT NULL);

        CREATE TABLE {s}.entity_changes (
            entity_key text COLLATE "C" NOT NULL,
            target_key text COLLATE "C" NOT NULL,
            entity_id text COLLATE "C" NOT NULL,
            kind smallint NOT NULL,
            version bigint NOT NULL,
            entity_type text NOT NULL,
            payload jsonb,
            PRIMARY KEY (entity_key, target_key, entity_id, kind));

        CREATE TABLE {s}.entity_delivered (
            entity_key text COLLATE "C" NOT NULL,
            target_key text COLLATE "C" NOT NULL,
            entity_id text COLLATE "C" NOT NULL,
            version bigint NOT NULL,
            PRIMARY KEY (entity_key, target_key, entity_id));
        """,
        """
        CREATE TABLE {s}.job_controls (
            job_key text COLLATE "C" PRIMARY KEY,
            job_name text NOT NULL,
            paused boolean NOT NULL,
            disabled boolean NOT NULL,
            changed_at timestamptz NOT NULL);

        CREATE TABLE {s}.entity_sync_configurations (
            entity_key text COLLATE "C" PRIMARY KEY,
            entity_type text NOT NULL,
            configuration jsonb,
            changed_at timestamptz NOT NULL);
        """,
        // Record and entity ids come from outside and may be of any length, but a btree entry holds at most ~2.7 kB: key the
        // rows by the SHA-256 of the id as stored (UTF-8 of the escaped text, as PostgreSqlJobStore.IdHash computes it) and
        // keep the id itself in its unindexed column.
        """
        ALTER TABLE {s}.record_failures ADD COLUMN record_hash bytea;
        UPDATE {s}.record_failures SET record_hash = sha256(convert_to(record_id, 'UTF8'));
        ALTER TABLE {s}.record_failures ALTER COLUMN record_hash SET NOT NULL;
        ALTER TABLE {s}.record_failures DROP CONSTRAINT record_failures_pkey;
        ALTER TABLE {s}.record_failures ADD PRIMARY KEY (job_key, record_hash);

        ALTER TABLE {s}.entity_changes ADD COLUMN entity_id_hash bytea;
        UPDATE {s}.entity_changes SET entity_id_hash = sha256(convert_to(entity_id, 'UTF8'));
        ALTER TABLE {s}.entity_changes ALTER COLUMN entity_id_hash SET NOT NULL;
        ALTER TABLE {s}.entity_changes DROP CONSTRAINT entity_changes_pkey;
        ALTER TABLE {s}.entity_changes ADD PRIMARY KEY (entity_key, target_key, entity_id_hash, kind);

        ALTER TABLE {s}.entity_delivered ADD COLUMN entity_id_hash bytea;
        UPDATE {s}.entity_delivered SET entity_id_hash = sha256(convert_to(entity_id, 'UTF8'));
        ALTER TABLE {s}.entity_delivered ALTER COLUMN entity_id_hash SET NOT NULL;
        ALTER TABLE {s}.entity_delivered DROP CONSTRAINT entity_delivered_pkey;
        ALTER TABLE {s}.entity_delivered ADD PRIMARY KEY (entity_key, target_key, entity_id_hash);
        """,
        // One operator-state plane, newest change wins per field: job controls and entity-sync configurations move into it,
        // each field stamped with its row's changed time. A name is keyed by the SHA-256 of its case-insensitive key as
        // stored (job_key, entity_key: PostgreSqlJobStore.IdHash of Key(name)), so a name of any length fits the index.
        """
        CREATE TABLE {s}.operator_state (
            kind text COLLATE "C" NOT NULL,
            name_key bytea NOT NULL,
            field text COLLATE "C" NOT NULL,
            name text NOT NULL,
            value text,
            changed_at timestamptz NOT NULL,
            PRIMARY KEY (kind, name_key, field));

        INSERT INTO {s}.operator_state (kind, name_key, field, name, value, changed_at)
        SELECT 'job', sha256(convert_to(c.job_key, 'UTF8')), f.field, c.job_name, f.value, c.changed_at
        FROM {s}.job_controls AS c
        CROSS JOIN LATERAL (VALUES ('paused', c.paused::text), ('disabled', c.disabled::text)) AS f (field, value);

        INSERT INTO {s}.operator_state (kind, name_key, field, name, value, changed_at)
        SELECT 'entity-sync', sha256(convert_to(c.entity_key, 'UTF8')), 'deleted', c.entity_type, (c.configuration IS NULL)::text, c.changed_at
        FROM {s}.entity_sync_configurations AS c;

        INSERT INTO {s}.operator_state (kind, name_key, field, name, value, changed_at)
        SELECT 'entity-sync', sha256(convert_to(c.entity_key, 'UTF8')), f.field, c.entity_type, f.value, c.changed_at
        FROM {s}.entity_sync_configurations AS c
        CROSS JOIN LATERAL (VALUES
            ('enabled', coalesce(c.configuration ->> 'enabled', 'true')),
            ('paused', coalesce(c.configuration ->> 'paused', 'false')),
            ('incremental-sync', coalesce(c.configuration ->> 'incrementalSync', 'true')),
            ('targets', (c.configuration -> 'targets')::text)) AS f (field, value)
        WHERE c.configuration IS NOT NULL;

        DROP TABLE {s}.job_controls;
        DROP TABLE {s}.entity_sync_configurations;
        """,
        // One held change per (type, target, id), keyed without its kind: of an id held both as an upsert (kind 0) and as
        // a delete (kind 1), the higher version stays (the delete on a tie). Delivered versions get their kind (NULL for a
        // row delivered before, whose kind is not known) and their time of delivery (for a row delivered before: the time
        // of this migration's transaction), so that old delete tombstones can be purged.
        """
        DELETE FROM {s}.entity_changes AS c
        USING {s}.entity_changes AS o
        WHERE o.entity_key = c.entity_key AND o.target_key = c.target_key AND o.entity_id_hash = c.entity_id_hash
          AND o.kind <> c.kind AND (o.version, o.kind) > (c.version, c.kind);
        ALTER TABLE {s}.entity_changes DROP CONSTRAINT entity_changes_pkey;
        ALTER TABLE {s}.entity_changes ADD PRIMARY KEY (entity_key, target_key, entity_id_hash);

        ALTER TABLE {s}.entity_delivered ADD COLUMN kind smallint;
        ALTER TABLE {s}.entity_delivered ADD COLUMN delivered_at timestamptz NOT NULL DEFAULT now();
        ALTER TABLE {s}.entity_delivered ALTER COLUMN delivered_at DROP DEFAULT;
        """,
        // Held changes are claimed under leases, like inbox records: each write of a row takes a new number from one
        // store-wide sequence (claims read in its order; rows held before are numbered by type, target, version, kind and
        // id), and keeps its repair mark, its lease, its skipped attempts and when it may be claimed again. A claim is one
        // range of (type, target, sequence); a paused claim (deletes only) one range of the deletes' partial index. Counts
        // per (type, target) keep deliveries, skips, failures and the last delivery and error for every host.
        """
        CREATE SEQUENCE {s}.entity_change_sequence AS bigint;
        ALTER TABLE {s}.entity_changes
            ADD COLUMN sequence bigint,
            ADD COLUMN repair boolean NOT NULL DEFAULT false,
            ADD COLUMN lease_owner text,
            ADD COLUMN lease_until timestamptz,
            ADD COLUMN attempts integer NOT NULL DEFAULT 0,
            ADD COLUMN last_error text,
            ADD COLUMN available_at timestamptz;
        UPDATE {s}.entity_changes AS e SET sequence = n.sequence
        FROM (SELECT entity_key, target_key, entity_id_hash,
                     row_number() OVER (ORDER BY entity_key, target_key, version, kind, entity_id, entity_id_hash) AS sequence
              FROM {s}.entity_changes) AS n
        WHERE e.entity_key = n.entity_key AND e.target_key = n.target_key AND e.entity_id_hash = n.entity_id_hash;
        PERFORM setval('{s}.entity_change_sequence', coalesce((SELECT max(sequence) FROM {s}.entity_changes), 0) + 1, false);
        ALTER SEQUENCE {s}.entity_change_sequence OWNED BY {s}.entity_changes.sequence;
        ALTER TABLE {s}.entity_changes
            ALTER COLUMN sequence SET DEFAULT nextval('{s}.entity_change_sequence'),
            ALTER COLUMN sequence SET NOT NULL,
            SET (fillfactor = 80);
        CREATE INDEX entity_changes_claim ON {s}.entity_changes (entity_key, target_key, sequence);
        CREATE INDEX entity_changes_claim_deletes ON {s}.entity_changes (entity_key, target_key, sequence) WHERE kind = 1;

        CREATE TABLE {s}.entity_sync_counts (
            entity_key text COLLATE "C" NOT NULL,
            target_key text COLLATE "C" NOT NULL,
            delivered bigint NOT NULL DEFAULT 0,
            skipped bigint NOT NULL DEFAULT 0,
            failed bigint NOT NULL DEFAULT 0,
            last_delivered_version bigint,
            last_delivered_at timestamptz,
            last_error text,
            last_error_at timestamptz,
            PRIMARY KEY (entity_key, target_key));
        """,
        // A claim reads only rows it may hand out: a skipped change (with a due time) waits in entity_changes_waiting, by
        // due time, until a claim at or after that time clears its due time; the claim indexes hold only rows without one.
        """
        DROP INDEX {s}.entity_changes_claim;
        DROP INDEX {s}.entity_changes_claim_deletes;
        CREATE INDEX entity_changes_claim ON {s}.entity_changes (entity_key, target_key, sequence) WHERE available_at IS NULL;
        CREATE INDEX entity_changes_claim_deletes ON {s}.entity_changes (entity_key, target_key, sequence) WHERE kind = 1 AND available_at IS NULL;
        CREATE INDEX entity_changes_waiting ON {s}.entity_changes (entity_key, target_key, available_at) WHERE available_at IS NOT NULL;
        """,
        // A recovery check looks each run that succeeded up by its id (GetPredecessorsAsync): one index entry, not a walk of the
        // job's runs from the newest (which grows with the runs recorded after it).
        """
        CREATE INDEX runs_run_id ON {s}.runs (run_id);
        """,
        // The audit trail of operators' changes (pause, resume, enable, disable, job definitions, entity-sync configurations):
        // one row per change, its name keyed like the operator state's (SHA-256 of the case-insensitive key), its values a
        // JSON array of [field, old, new] (kept as text, exactly as written); the store keeps the newest 100 per (kind, name).
        """
        CREATE TABLE {s}.operator_changes (
            seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind text COLLATE "C" NOT NULL,
            name_key bytea NOT NULL,
            name text NOT NULL,
            action text NOT NULL,
            changed_at timestamptz NOT NULL,
            changed_by text,
            change_values text NOT NULL);
        CREATE INDEX operator_changes_name ON {s}.operator_changes (kind, name_key, changed_at, seq);
        """,
    ];

    /// <summary>Gets the schema version this package's store needs: the last migration's number.</summary>
    public static int LatestVersion => Versions.Length;

    /// <summary>Gets the whole migration script for a schema, in one transaction: safe to run again and from several hosts at once.</summary>
    /// <param name="schema">The schema (<see cref="PostgreSqlStoreOptions.Schema"/>).</param>
    /// <returns>The SQL script, for <c>psql</c> or a migration tool.</returns>
    /// <exception cref="ArgumentException">The schema is not a plain identifier (letters, digits and '_').</exception>
    public static string GetScript(string schema = PostgreSqlStoreDefaults.Schema)
        => GetScript(schema, LatestVersion);

    /// <summary>The script up to a version (tests build the schema an older package left with it).</summary>
    internal static string GetScript(string schema, int lastVersion)
        => string.Concat("BEGIN;\n", GetBody(schema, lastVersion), "COMMIT;\n");

    /// <summary>The script without its transaction, up to <paramref name="lastVersion"/>: the store runs it inside its own.</summary>
    internal static string GetBody(string schema, int lastVersion)
    {
        if (!PostgreSqlStoreOptionsValidator.IsValidSchema(schema))
        {
            throw new ArgumentException($"Schema must be letters, digits and '_', not start with a digit, and be at most 63 characters (was '{schema}').", nameof(schema));
        }

        var s = Quote(schema);
        var sql = new StringBuilder();
        sql.Append(CultureInfo.InvariantCulture, $"SELECT pg_advisory_xact_lock({LockClass}, hashtext('{schema}'));\n");
        sql.Append(CultureInfo.InvariantCulture, $"CREATE SCHEMA IF NOT EXISTS {s};\n");
        sql.Append(CultureInfo.InvariantCulture, $"CREATE TABLE IF NOT EXISTS {s}.schema_version (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());\n");
        for (var i = 0; i < lastVersion; i++)
        {
            var version = i + 1;
            sql.Append(CultureInfo.InvariantCulture, $"DO $migration$\nBEGIN\nIF NOT EXISTS (SELECT 1 FROM {s}.schema_version WHERE version = {version}) THEN\n");
            sql.Append(Versions[i].Replace("{s}", s, StringComparison.Ordinal));
            sql.Append(CultureInfo.InvariantCulture, $"\nINSERT INTO {s}.schema_version (version) VALUES ({version});\nEND IF;\nEND\n$migration$;\n");
        }

        return sql.ToString();
    }

    /// <summary>Quotes a valid schema name as an identifier (keeps its case).</summary>
    internal static string Quote(string schema) => string.Concat("\"", schema, "\"");
}
