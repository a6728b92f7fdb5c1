using System.Globalization;
using Commerce.Jobs.Storage;
using Microsoft.Data.Sqlite;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>The inbox (leases as Unix milliseconds), occurrence claims and checkpoints.</summary>
internal sealed partial class SqliteJobStore
{
    /// <summary>
    /// The records one INSERT of <see cref="EnqueueRecordsAsync"/> carries (3 parameters each): SQLite finds each bound parameter
    /// by name in a list, so the cost of binding a statement grows with the square of its parameters; 16 rows amortize the
    /// statement without it.
    /// </summary>
    private const int EnqueueRows = 16;

    private const string Pending = "pending";
    private const string Failed = "failed";

    private const string ClaimPendingSql = """
        UPDATE inbox SET owner = $owner, lease_until = $lease_until
        WHERE sequence IN (
            SELECT sequence FROM inbox
            WHERE job_name = $job AND state = 'pending' AND sequence > $after AND (lease_until IS NULL OR lease_until <= $now)
            ORDER BY sequence LIMIT $max)
        RETURNING sequence, record_id, idempotency_key, payload, attempts, last_error;
        """;

    private const string ClaimIncludingFailedSql = """
        UPDATE inbox SET owner = $owner, lease_until = $lease_until
        WHERE sequence IN (
            SELECT sequence FROM inbox
            WHERE job_name = $job AND sequence > $after AND (lease_until IS NULL OR lease_until <= $now)
            ORDER BY sequence LIMIT $max)
        RETURNING sequence, record_id, idempotency_key, payload, attempts, last_error;
        """;

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
            // Up to EnqueueRows records per statement (one statement per row costs more than the row): the full-size
            // statement is prepared once per connection, a shorter last one per call.
            using var transaction = store._connection.BeginTransaction();
            var job = Stored(args.jobName);
            for (var start = 0; start < args.records.Count; start += EnqueueRows)
            {
                var rows = Math.Min(EnqueueRows, args.records.Count - start);
                var command = rows == EnqueueRows ? store._enqueue ??= EnqueueCommand(store, EnqueueRows) : EnqueueCommand(store, rows);
                try
                {
                    command.Transaction = transaction;
                    var p = command.Parameters;
                    p[0].Value = job;
                    for (var i = 0; i < rows; i++)
                    {
                        var record = args.records[start + i];
                        p[1 + (3 * i)].Value = Stored(record.RecordId);
                        p[2 + (3 * i)].Value = Stored(record.IdempotencyKey);
                        p[3 + (3 * i)].Value = record.Payload;
                    }

                    command.ExecuteNonQuery();
                }
                finally
                {
                    if (command != store._enqueue)
                    {
                        command.Dispose();
                    }
                }
            }

            transaction.Commit();
            return 0;
        }, cancellationToken));
    }

    /// <summary>An INSERT of <paramref name="rows"/> records: $job, then $i{n}, $k{n}, $p{n} per row (in that parameter order).</summary>
    private static SqliteCommand EnqueueCommand(SqliteJobStore store, int rows)
    {
        var sql = new System.Text.StringBuilder("INSERT INTO inbox (job_name, record_id, idempotency_key, payload) VALUES ", 48 + (rows * 32));
        for (var i = 0; i < rows; i++)
        {
            sql.Append(i == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"($job, $i{i}, $k{i}, $p{i})");
        }

        var command = store.Command(sql.Append(';').ToString());
        command.Parameters.Add("$job", SqliteType.Text);
        for (var i = 0; i < rows; i++)
        {
            command.Parameters.Add(string.Create(CultureInfo.InvariantCulture, $"$i{i}"), SqliteType.Text);
            command.Parameters.Add(string.Create(CultureInfo.InvariantCulture, $"$k{i}"), SqliteType.Text);
            command.Parameters.Add(string.Create(CultureInfo.InvariantCulture, $"$p{i}"), SqliteType.Blob);
        }

        return command;
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
            // One statement: atomic on its own, and in-process callers take turns on the connection.
            using var command = store.Command(args.claim.IncludeFailed ? ClaimIncludingFailedSql : ClaimPendingSql);
            var p = command.Parameters;
            p.AddWithValue("$owner", Stored(args.claim.Owner));
            p.AddWithValue("$lease_until", ToUnixMs(args.claim.LeaseUntil));
            p.AddWithValue("$job", Stored(args.jobName));
            p.AddWithValue("$after", args.claim.AfterSequence);
            p.AddWithValue("$now", ToUnixMs(args.claim.Now));
            p.AddWithValue("$max", args.claim.MaxRecords);
            var claimed = new List<PendingRecord>(Math.Min(args.claim.MaxRecords, 1024));
            using (var reader = command.ExecuteReader())
            {
                while (reader.Read())
                {
                    claimed.Add(new PendingRecord(
                        ReadText(reader, 1),
                        ReadText(reader, 2),
                        (byte[])reader.GetValue(3),
                        reader.GetInt64(0),
                        reader.GetInt32(4),
                        ReadTextOrNull(reader, 5)));
                }
            }

            // RETURNING gives rows in no promised order.
            claimed.Sort(static (a, b) => a.Sequence.CompareTo(b.Sequence));
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
            System.Text.StringBuilder? delivered = null;
            try
            {
                foreach (var completion in args.completions)
                {
                    if (completion.Status == RecordStatus.Delivered)
                    {
                        // Delivered is delivered, whoever holds the record now: all of them go in one statement below.
                        (delivered ??= new System.Text.StringBuilder("[", 2 + (args.completions.Count * 8))).Append(CultureInfo.InvariantCulture, $"{(delivered.Length == 1 ? "" : ",")}{completion.Sequence}");
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

                if (delivered is not null)
                {
                    // One statement for the page (the sequences as a JSON array), not one per record. Each is looked up by
                    // primary key: "+job_name" keeps the planner off the job's index, which would visit every row of the job.
                    using var delete = store.Command("DELETE FROM inbox WHERE +job_name = $job AND sequence IN (SELECT value FROM json_each($sequences));", transaction);
                    delete.Parameters.AddWithValue("$job", Stored(args.jobName));
                    delete.Parameters.AddWithValue("$sequences", delivered.Append(']').ToString());
                    delete.ExecuteNonQuery();
                }

                transaction.Commit();
            }
            finally
            {
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
