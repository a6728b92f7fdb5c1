using System.Globalization;
using Commerce.Jobs.Storage;
using Microsoft.Data.Sqlite;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>The inbox (leases as Unix milliseconds), occurrence claims and checkpoints.</summary>
internal sealed partial class SqliteJobStore
{
    /// <summary>
    /// The records one INSERT of <see cref="EnqueueRecordsAsync"/> carries (3 parameters each, bound by number): one
    /// statement per row costs more than the row; a last part shorter than this goes row by row through a one-row INSERT.
    /// </summary>
    internal const int EnqueueRows = 64;

    private const string Pending = "pending";
    private const string Failed = "failed";

    // A claim reads a page (?1 job, ?2 after, ?3 now, ?4 max), then, in the same transaction, leases the job's free records
    // after the same sequence up to the last one read: exactly the page (?1 owner, ?2 lease_until, ?3 job, ?4 after,
    // ?5 now, ?6 the last sequence read).
    private const string SelectPendingSql = """
        SELECT sequence, record_id, idempotency_key, payload, attempts, last_error FROM inbox
        WHERE job_name = ?1 AND state = 'pending' AND sequence > ?2 AND (lease_until IS NULL OR lease_until <= ?3)
        ORDER BY sequence LIMIT ?4;
        """;

    private const string SelectIncludingFailedSql = """
        SELECT sequence, record_id, idempotency_key, payload, attempts, last_error FROM inbox
        WHERE job_name = ?1 AND sequence > ?2 AND (lease_until IS NULL OR lease_until <= ?3)
        ORDER BY sequence LIMIT ?4;
        """;

    private const string LeasePendingSql = """
        UPDATE inbox SET owner = ?1, lease_until = ?2
        WHERE job_name = ?3 AND state = 'pending' AND sequence > ?4 AND sequence <= ?6 AND (lease_until IS NULL OR lease_until <= ?5);
        """;

    private const string LeaseIncludingFailedSql = """
        UPDATE inbox SET owner = ?1, lease_until = ?2
        WHERE job_name = ?3 AND sequence > ?4 AND sequence <= ?6 AND (lease_until IS NULL OR lease_until <= ?5);
        """;

    // Each sequence is looked up by primary key: "+job_name" keeps the planner off the job's index, which would visit every
    // row of the job. ?1 job, ?2 the sequences as a JSON array.
    private const string DeleteDeliveredSql = "DELETE FROM inbox WHERE +job_name = ?1 AND sequence IN (SELECT value FROM json_each(?2));";

    // The inbox's per-record statements, prepared once per connection (see SqliteStatement); used under the gate.
    private SqliteStatement? _enqueueMany;
    private SqliteStatement? _enqueueOne;
    private SqliteStatement? _selectPending;
    private SqliteStatement? _selectIncludingFailed;
    private SqliteStatement? _leasePending;
    private SqliteStatement? _leaseIncludingFailed;
    private SqliteStatement? _deleteDelivered;

    public ValueTask EnqueueRecordsAsync(string jobName, IReadOnlyList<PendingRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        return Unit(UseAsync((jobName, records), static (store, args) =>
        {
            // EnqueueRows records per statement, the rest one by one; both statements prepared once per connection.
            using var transaction = store._connection.BeginTransaction();
            var job = StoredText.Escape(args.jobName);
            var many = store._enqueueMany ??= SqliteStatement.Prepare(store._connection, EnqueueSql(EnqueueRows));
            var one = store._enqueueOne ??= SqliteStatement.Prepare(store._connection, EnqueueSql(1));
            var start = 0;
            for (; start + EnqueueRows <= args.records.Count; start += EnqueueRows)
            {
                Enqueue(many, job, args.records, start, EnqueueRows);
            }

            for (; start < args.records.Count; start++)
            {
                Enqueue(one, job, args.records, start, 1);
            }

            transaction.Commit();
            return 0;
        }, cancellationToken));
    }

    /// <summary>An INSERT of <paramref name="rows"/> records: ?1 the job, then ?(2+3n) id, ?(3+3n) key, ?(4+3n) payload of row n.</summary>
    private static string EnqueueSql(int rows)
    {
        var sql = new System.Text.StringBuilder("INSERT INTO inbox (job_name, record_id, idempotency_key, payload) VALUES ", 80 + (rows * 24));
        for (var i = 0; i < rows; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(?1, ?{2 + (3 * i)}, ?{3 + (3 * i)}, ?{4 + (3 * i)})");
        }

        return sql.Append(';').ToString();
    }

    private static void Enqueue(SqliteStatement insert, string job, IReadOnlyList<PendingRecord> records, int start, int rows)
    {
        insert.Bind(1, job);
        for (var i = 0; i < rows; i++)
        {
            var record = records[start + i];
            ArgumentNullException.ThrowIfNull(record.Payload, nameof(records));  // rolled back with the offer's transaction
            insert.Bind(2 + (3 * i), StoredText.Escape(record.RecordId));
            insert.Bind(3 + (3 * i), StoredText.Escape(record.IdempotencyKey));
            insert.BindBlob(4 + (3 * i), record.Payload);
        }

        insert.Execute();
    }

    public ValueTask<IReadOnlyList<PendingRecord>> ClaimRecordsAsync(string jobName, RecordClaim claim, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        ArgumentNullException.ThrowIfNull(claim);
        if (claim.MaxRecords <= 0)
        {
            return ValueTask.FromResult<IReadOnlyList<PendingRecord>>([]);
        }

        return UseAsync((jobName, claim), static (store, args) =>
        {
            // Read, then lease what was read, in one transaction: BEGIN IMMEDIATE holds the write lock from the start, so
            // nothing changes in between, and the lease's range takes exactly the records read (in sequence order).
            var includeFailed = args.claim.IncludeFailed;
            var select = includeFailed
                ? store._selectIncludingFailed ??= SqliteStatement.Prepare(store._connection, SelectIncludingFailedSql)
                : store._selectPending ??= SqliteStatement.Prepare(store._connection, SelectPendingSql);
            var job = StoredText.Escape(args.jobName);
            var now = ToUnixMs(args.claim.Now);
            var claimed = new List<PendingRecord>(Math.Min(args.claim.MaxRecords, 1024));
            using var transaction = store._connection.BeginTransaction();
            try
            {
                select.Bind(1, job);
                select.Bind(2, args.claim.AfterSequence);
                select.Bind(3, now);
                select.Bind(4, args.claim.MaxRecords);
                while (select.Step())
                {
                    claimed.Add(new PendingRecord(
                        StoredText.Unescape(select.GetText(1)),
                        StoredText.Unescape(select.GetText(2)),
                        select.GetBlob(3),
                        select.GetInt64(0),
                        select.GetInt32(4),
                        select.IsNull(5) ? null : StoredText.Unescape(select.GetText(5))));
                }
            }
            finally
            {
                select.Reset();
            }

            if (claimed.Count > 0)
            {
                var lease = includeFailed
                    ? store._leaseIncludingFailed ??= SqliteStatement.Prepare(store._connection, LeaseIncludingFailedSql)
                    : store._leasePending ??= SqliteStatement.Prepare(store._connection, LeasePendingSql);
                lease.Bind(1, StoredText.Escape(args.claim.Owner));
                lease.Bind(2, ToUnixMs(args.claim.LeaseUntil));
                lease.Bind(3, job);
                lease.Bind(4, args.claim.AfterSequence);
                lease.Bind(5, now);
                lease.Bind(6, claimed[^1].Sequence);
                lease.Execute();
                transaction.Commit();
            }

            return (IReadOnlyList<PendingRecord>)claimed;
        }, cancellationToken, Commit.Progress);
    }

    public ValueTask CompleteRecordsAsync(string jobName, string owner, IReadOnlyList<RecordCompletion> completions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        ArgumentNullException.ThrowIfNull(owner);
        ArgumentNullException.ThrowIfNull(completions);
        if (completions.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        return Unit(UseAsync((jobName, owner, completions), static (store, args) =>
        {
            using var transaction = store._connection.BeginTransaction();
            SqliteCommand? release = null;
            SqliteCommand? unlease = null;
            SqliteParameter? unleaseSequence = null;
            SqliteParameter? releaseSequence = null, state = null, error = null;

            // The delivered records' sequences as a JSON array: at most 20 characters and a comma each.
            var delivered = System.Buffers.ArrayPool<char>.Shared.Rent(2 + (args.completions.Count * 21));
            var length = 0;
            try
            {
                foreach (var completion in args.completions)
                {
                    if (completion.Status == RecordStatus.Delivered)
                    {
                        // Delivered is delivered, whoever holds the record now: all of them go in one statement below.
                        delivered[length] = length == 0 ? '[' : ',';
                        length++;
                        completion.Sequence.TryFormat(delivered.AsSpan(length), out var written, provider: CultureInfo.InvariantCulture);
                        length += written;
                    }
                    else if (completion.Status == RecordStatus.TransientFailure)
                    {
                        // Released untouched (claimed, never attempted; rare: a run that ended early): only the owner's lease goes.
                        if (unlease is null)
                        {
                            unlease = store.Command("UPDATE inbox SET owner = NULL, lease_until = NULL WHERE sequence = $sequence AND job_name = $job AND owner = $owner;", transaction);
                            unlease.Parameters.AddWithValue("$job", Stored(args.jobName));
                            unlease.Parameters.AddWithValue("$owner", Stored(args.owner));
                            unleaseSequence = unlease.Parameters.Add("$sequence", SqliteType.Integer);
                        }

                        unleaseSequence!.Value = completion.Sequence;
                        unlease.ExecuteNonQuery();
                    }
                    else
                    {
                        // A skip or failure counts only from the owner that still holds the record.
                        if (release is null)
                        {
                            release = store.Command("""
                                UPDATE inbox SET attempts = attempts + 1, last_error = $error, state = $state, owner = NULL, lease_until = NULL
                                WHERE sequence = $sequence AND job_name = $job AND owner = $owner;
                                """, transaction);
                            release.Parameters.AddWithValue("$job", Stored(args.jobName));
                            release.Parameters.AddWithValue("$owner", Stored(args.owner));
                            releaseSequence = release.Parameters.Add("$sequence", SqliteType.Integer);
                            state = release.Parameters.Add("$state", SqliteType.Text);
                            error = release.Parameters.Add("$error", SqliteType.Text);
                        }

                        releaseSequence!.Value = completion.Sequence;
                        state!.Value = completion.Status == RecordStatus.PermanentFailure ? Failed : Pending;
                        error!.Value = Stored(completion.Error);
                        release.ExecuteNonQuery();
                    }
                }

                if (length > 0)
                {
                    // One statement for the page, not one per record.
                    delivered[length++] = ']';
                    var delete = store._deleteDelivered ??= SqliteStatement.Prepare(store._connection, DeleteDeliveredSql);
                    delete.Bind(1, StoredText.Escape(args.jobName));
                    delete.Bind(2, delivered.AsSpan(0, length));
                    delete.Execute();
                }

                transaction.Commit();
            }
            finally
            {
                System.Buffers.ArrayPool<char>.Shared.Return(delivered);
                release?.Dispose();
                unlease?.Dispose();
            }

            return 0;
        }, cancellationToken, Commit.Progress));
    }

    public ValueTask<int> RenewLeasesAsync(string jobName, string owner, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        ArgumentNullException.ThrowIfNull(owner);
        return UseAsync((jobName, owner, leaseUntil: ToUnixMs(leaseUntil)), static (store, args) =>
        {
            using var command = store.Command("UPDATE inbox SET lease_until = $lease_until WHERE job_name = $job AND owner = $owner AND lease_until IS NOT NULL;");
            command.Parameters.AddWithValue("$lease_until", args.leaseUntil);
            command.Parameters.AddWithValue("$job", Stored(args.jobName));
            command.Parameters.AddWithValue("$owner", Stored(args.owner));
            return command.ExecuteNonQuery();
        }, cancellationToken, Commit.Progress);
    }

    public ValueTask<long> CountPendingRecordsAsync(string jobName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        return UseAsync(jobName, static (store, jobName) =>
        {
            using var command = store.Command("SELECT COUNT(*) FROM inbox WHERE job_name = $job AND state = 'pending';");
            command.Parameters.AddWithValue("$job", Stored(jobName));
            return (long)command.ExecuteScalar()!;
        }, cancellationToken, Commit.None);
    }

    public ValueTask<bool> TryClaimOccurrenceAsync(string jobName, DateTimeOffset scheduledTime, string owner, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        ArgumentNullException.ThrowIfNull(owner);
        return UseAsync((jobName, scheduledAt: ToTicks(scheduledTime), owner), static (store, args) =>
        {
            // Insert the job's first claim, or move its last claim forward; a claim of the same or an earlier time changes no row.
            using var command = store.Command("""
                INSERT INTO occurrences (job_name, scheduled_at, owner) VALUES ($job, $scheduled_at, $owner)
                ON CONFLICT (job_name) DO UPDATE SET scheduled_at = excluded.scheduled_at, owner = excluded.owner
                WHERE excluded.scheduled_at > occurrences.scheduled_at;
                """);
            command.Parameters.AddWithValue("$job", Stored(args.jobName));
            command.Parameters.AddWithValue("$scheduled_at", args.scheduledAt);
            command.Parameters.AddWithValue("$owner", Stored(args.owner));
            return command.ExecuteNonQuery() == 1;
        }, cancellationToken);
    }

    public ValueTask<string?> GetCheckpointAsync(string jobName, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        return UseAsync(jobName, static (store, jobName) =>
        {
            using var command = store.Command("SELECT value FROM checkpoints WHERE job_name = $job;");
            command.Parameters.AddWithValue("$job", Stored(jobName));
            return StoredText.Unescape(command.ExecuteScalar() as string);
        }, cancellationToken, Commit.None);
    }

    public ValueTask SetCheckpointAsync(string jobName, string? checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        return Unit(UseAsync((jobName, checkpoint), static (store, args) =>
        {
            using var command = store.Command(args.checkpoint is null
                ? "DELETE FROM checkpoints WHERE job_name = $job;"
                : "INSERT INTO checkpoints (job_name, value) VALUES ($job, $value) ON CONFLICT (job_name) DO UPDATE SET value = excluded.value;");
            command.Parameters.AddWithValue("$job", Stored(args.jobName));
            if (args.checkpoint is not null)
            {
                command.Parameters.AddWithValue("$value", Stored(args.checkpoint));
            }

            return command.ExecuteNonQuery();
        }, cancellationToken));
    }
}
