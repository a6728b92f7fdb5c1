using Commerce.Jobs.Storage;
using Microsoft.Data.Sqlite;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>The inbox (leases as Unix milliseconds), occurrence claims and checkpoints.</summary>
internal sealed partial class SqliteJobStore
{
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
            using var transaction = store._connection.BeginTransaction();
            using var command = store.Command("INSERT INTO inbox (job_name, record_id, idempotency_key, payload) VALUES ($job, $id, $key, $payload);", transaction);
            command.Parameters.AddWithValue("$job", Stored(args.jobName));
            var id = command.Parameters.Add("$id", SqliteType.Text);
            var key = command.Parameters.Add("$key", SqliteType.Text);
            var payload = command.Parameters.Add("$payload", SqliteType.Blob);
            foreach (var record in args.records)
            {
                id.Value = Stored(record.RecordId);
                key.Value = Stored(record.IdempotencyKey);
                payload.Value = record.Payload;
                command.ExecuteNonQuery();
            }

            transaction.Commit();
            return 0;
        }, cancellationToken));
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
            SqliteCommand? delete = null;
            SqliteCommand? release = null;
            SqliteCommand? unlease = null;
            SqliteParameter? deleteSequence = null, unleaseSequence = null;
            SqliteParameter? releaseSequence = null, state = null, error = null;
            try
            {
                foreach (var completion in args.completions)
                {
                    if (completion.Status == RecordStatus.Delivered)
                    {
                        // Delivered is delivered, whoever holds the record now.
                        if (delete is null)
                        {
                            delete = store.Command("DELETE FROM inbox WHERE sequence = $sequence AND job_name = $job;", transaction);
                            delete.Parameters.AddWithValue("$job", Stored(args.jobName));
                            deleteSequence = delete.Parameters.Add("$sequence", SqliteType.Integer);
                        }

                        deleteSequence!.Value = completion.Sequence;
                        delete.ExecuteNonQuery();
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

                transaction.Commit();
            }
            finally
            {
                delete?.Dispose();
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
