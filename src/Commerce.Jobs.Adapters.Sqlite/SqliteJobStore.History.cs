using System.Text.Json;
using Commerce.Jobs.Storage;
using Microsoft.Data.Sqlite;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>Run history (the log as JSON) and record failures.</summary>
internal sealed partial class SqliteJobStore
{
    public ValueTask AddRunAsync(JobRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);

        // The log is serialized here, on the caller's thread: the history writer only binds and inserts.
        var log = JsonSerializer.Serialize(run.Log, SqliteJsonContext.Default.IReadOnlyListJobLogEntry);
        return new ValueTask(_history.WriteAsync(new HistoryWrite(run, log), cancellationToken));
    }

    public ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        if (maxRuns <= 0)
        {
            return ValueTask.FromResult<IReadOnlyList<JobRun>>([]);
        }

        return UseAsync((jobName, maxRuns), static (store, args) =>
        {
            using var command = store.Command("""
                SELECT run_id, job_name, trigger_kind, host_name, started_at, ended_at, outcome,
                       read_count, delivered_count, skipped_count, failed_count, error, log
                FROM runs WHERE job_name = $job ORDER BY seq DESC LIMIT $max;
                """);
            command.Parameters.AddWithValue("$job", Stored(args.jobName));
            command.Parameters.AddWithValue("$max", args.maxRuns);
            var runs = new List<JobRun>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                runs.Add(new JobRun
                {
                    RunId = Guid.Parse(reader.GetString(0)),
                    JobName = ReadText(reader, 1),
                    Trigger = Enum.Parse<TriggerKind>(reader.GetString(2)),
                    HostName = ReadText(reader, 3),
                    StartedAt = FromTicks(reader.GetInt64(4)),
                    EndedAt = FromTicks(reader.GetInt64(5)),
                    Outcome = Enum.Parse<JobOutcome>(reader.GetString(6)),
                    Counts = new RecordCounts(reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10)),
                    Error = ReadTextOrNull(reader, 11),
                    Log = JsonSerializer.Deserialize(reader.GetString(12), SqliteJsonContext.Default.IReadOnlyListJobLogEntry) ?? [],
                });
            }

            return (IReadOnlyList<JobRun>)runs;
        }, cancellationToken, Commit.None);
    }

    public async ValueTask<RunPredecessor> GetPredecessorAsync(string jobName, Guid runId, CancellationToken cancellationToken)
        => (await GetPredecessorsAsync(jobName, [runId], cancellationToken).ConfigureAwait(false))[0];

    public ValueTask<IReadOnlyList<RunPredecessor>> GetPredecessorsAsync(string jobName, IReadOnlyList<Guid> runIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        ArgumentNullException.ThrowIfNull(runIds);
        if (runIds.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<RunPredecessor>>([]);
        }

        return UseAsync((jobName, runIds), static (store, args) => (IReadOnlyList<RunPredecessor>)store.ReadPredecessors(Stored(args.jobName), args.runIds), cancellationToken, Commit.None);
    }

    /// <summary>
    /// The runs' predecessors (<paramref name="job"/> as stored), under the gate: one read of the job's runs from the newest
    /// back, each row visited once, until every id asked is found and the row before the oldest of them is read (to the
    /// job's first run when an id is not in its history). A recovery check asks about runs just recorded, near the newest
    /// end: a burst costs the rows recorded since its oldest run, not that many rows per id.
    /// </summary>
    private RunPredecessor[] ReadPredecessors(object job, IReadOnlyList<Guid> runIds)
    {
        var predecessors = new RunPredecessor[runIds.Count];
        var asked = new Dictionary<Guid, int>(runIds.Count);   // id → its first place
        List<(int Place, int First)>? repeated = null;          // an id asked again: answered as at its first place
        for (var i = 0; i < runIds.Count; i++)
        {
            if (!asked.TryAdd(runIds[i], i))
            {
                (repeated ??= []).Add((i, asked[runIds[i]]));
            }
        }

        var unanswered = asked.Count;
        var found = new List<int>();   // places of the ids found in the row just read: the next row (older) is their predecessor

        // Prepared once per connection: a recovery check follows every burst of successes.
        var command = _getPredecessors ??= PredecessorsCommand();
        command.Parameters[0].Value = job;
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                if (found.Count > 0)
                {
                    var outcome = Enum.Parse<JobOutcome>(reader.GetString(1));
                    foreach (var place in found)
                    {
                        predecessors[place] = new RunPredecessor(true, outcome);
                    }

                    found.Clear();
                    if (unanswered == 0)
                    {
                        break;
                    }
                }

                // The newest row of an id answers for it (an id stored twice).
                if (asked.Remove(Guid.Parse(reader.GetString(0)), out var at))
                {
                    found.Add(at);
                    unanswered--;
                }
            }
        }

        foreach (var place in found)
        {
            predecessors[place] = new RunPredecessor(true, null);   // found in the job's first run
        }

        foreach (var (place, first) in repeated ?? [])
        {
            predecessors[place] = predecessors[first];
        }

        return predecessors;
    }

    /// <summary>The job's runs, newest first, through the index (job_name, seq): what <see cref="ReadPredecessors"/> steps through.</summary>
    internal const string PredecessorsSql = """
        SELECT run_id, outcome FROM runs WHERE job_name = $job ORDER BY seq DESC;
        """;

    private SqliteCommand PredecessorsCommand()
    {
        var command = Command(PredecessorsSql);
        command.Parameters.Add("$job", SqliteType.Text);
        return command;
    }

    public ValueTask<int> PurgeRunsAsync(string jobName, int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);

        // Through the history writer, in its own transaction after the runs added that wait with it: a failed purge fails no run.
        return new ValueTask<int>(_history.WriteAsync(new HistoryWrite(jobName, keepLast, ToTicks(endedBefore)), cancellationToken));
    }

    /// <summary>
    /// Commits history writes (runs added, or one purge: a purge commits alone) in one transaction, in the order they were
    /// queued: one sync to disk (<c>synchronous=FULL</c>) for all of them. Throws if anything fails; then none of them is stored.
    /// </summary>
    private async ValueTask CommitHistoryAsync(IReadOnlyList<HistoryWrite> writes)
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            SetSynchronous(Commit.Durable);
            using var transaction = _connection.BeginTransaction();
            foreach (var write in writes)
            {
                if (write.Run is { } run)
                {
                    var insert = InsertRunCommand();
                    insert.Transaction = transaction;
                    var p = insert.Parameters;
                    p[0].Value = run.RunId.ToString("D");
                    p[1].Value = Stored(run.JobName);
                    p[2].Value = run.Trigger.ToString();
                    p[3].Value = Stored(run.HostName);
                    p[4].Value = ToTicks(run.StartedAt);
                    p[5].Value = ToTicks(run.EndedAt);
                    p[6].Value = run.Outcome.ToString();
                    p[7].Value = run.Counts.Read;
                    p[8].Value = run.Counts.Delivered;
                    p[9].Value = run.Counts.Skipped;
                    p[10].Value = run.Counts.Failed;
                    p[11].Value = Stored(run.Error);
                    p[12].Value = write.Log;
                    insert.ExecuteNonQuery();
                }
                else
                {
                    write.Result = PurgeRuns(transaction, write.JobName!, write.KeepLast, write.EndedBefore);
                }
            }

            transaction.Commit();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The prepared INSERT of a run, made once per connection (its parameters in column order).</summary>
    private SqliteCommand InsertRunCommand()
    {
        if (_insertRun is null)
        {
            var command = Command("""
                INSERT INTO runs (run_id, job_name, trigger_kind, host_name, started_at, ended_at, outcome,
                                  read_count, delivered_count, skipped_count, failed_count, error, log)
                VALUES ($run_id, $job, $trigger, $host, $started, $ended, $outcome, $read, $delivered, $skipped, $failed, $error, $log);
                """);
            var p = command.Parameters;
            p.Add("$run_id", SqliteType.Text);
            p.Add("$job", SqliteType.Text);
            p.Add("$trigger", SqliteType.Text);
            p.Add("$host", SqliteType.Text);
            p.Add("$started", SqliteType.Integer);
            p.Add("$ended", SqliteType.Integer);
            p.Add("$outcome", SqliteType.Text);
            p.Add("$read", SqliteType.Integer);
            p.Add("$delivered", SqliteType.Integer);
            p.Add("$skipped", SqliteType.Integer);
            p.Add("$failed", SqliteType.Integer);
            p.Add("$error", SqliteType.Text);
            p.Add("$log", SqliteType.Text);
            _insertRun = command;
        }

        return _insertRun;
    }

    /// <summary>Drops a job's oldest runs while there are more than <paramref name="keepLast"/> or the oldest ended before <paramref name="endedBefore"/> (ticks).</summary>
    private int PurgeRuns(SqliteTransaction transaction, string jobName, int keepLast, long endedBefore)
    {
        // Oldest first, as added: drop from the oldest while there are too many or the oldest ended too early.
        var runs = new List<(long Seq, long EndedAt)>();
        using (var select = Command("SELECT seq, ended_at FROM runs WHERE job_name = $job ORDER BY seq;", transaction))
        {
            select.Parameters.AddWithValue("$job", Stored(jobName));
            using var reader = select.ExecuteReader();
            while (reader.Read())
            {
                runs.Add((reader.GetInt64(0), reader.GetInt64(1)));
            }
        }

        var removed = 0;
        while (removed < runs.Count && (runs.Count - removed > keepLast || runs[removed].EndedAt < endedBefore))
        {
            removed++;
        }

        if (removed > 0)
        {
            using var delete = Command("DELETE FROM runs WHERE job_name = $job AND seq <= $last;", transaction);
            delete.Parameters.AddWithValue("$job", Stored(jobName));
            delete.Parameters.AddWithValue("$last", runs[removed - 1].Seq);
            delete.ExecuteNonQuery();
        }

        return removed;
    }

    public ValueTask AddRecordFailuresAsync(string jobName, IReadOnlyList<RecordFailure> failures, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        ArgumentNullException.ThrowIfNull(failures);
        if (failures.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        return Unit(UseAsync((jobName, failures), static (store, args) =>
        {
            using var transaction = store._connection.BeginTransaction();
            using var command = store.Command("""
                INSERT INTO record_failures (job_name, record_id, status, error, attempts, last_attempt_at)
                VALUES ($job, $id, $status, $error, 1, $at)
                ON CONFLICT (job_name, record_id) DO UPDATE SET
                    status = excluded.status, error = excluded.error, attempts = record_failures.attempts + 1,
                    last_attempt_at = excluded.last_attempt_at;
                """, transaction);
            command.Parameters.AddWithValue("$job", Stored(args.jobName));
            var id = command.Parameters.Add("$id", SqliteType.Text);
            var status = command.Parameters.Add("$status", SqliteType.Text);
            var error = command.Parameters.Add("$error", SqliteType.Text);
            var at = command.Parameters.Add("$at", SqliteType.Integer);
            foreach (var failure in args.failures)
            {
                id.Value = Stored(failure.RecordId);
                status.Value = failure.Status.ToString();
                error.Value = Stored(failure.Error);
                at.Value = ToTicks(failure.LastAttemptAt);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
            return 0;
        }, cancellationToken));
    }

    public ValueTask RemoveRecordFailuresAsync(string jobName, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        ArgumentNullException.ThrowIfNull(recordIds);
        if (recordIds.Count == 0)
        {
            return ValueTask.CompletedTask;
        }

        return Unit(UseAsync((jobName, recordIds), static (store, args) =>
        {
            using var transaction = store._connection.BeginTransaction();
            using var command = store.Command("DELETE FROM record_failures WHERE job_name = $job AND record_id = $id;", transaction);
            command.Parameters.AddWithValue("$job", Stored(args.jobName));
            var id = command.Parameters.Add("$id", SqliteType.Text);
            foreach (var recordId in args.recordIds)
            {
                id.Value = Stored(recordId);
                command.ExecuteNonQuery();
            }

            transaction.Commit();
            return 0;
        }, cancellationToken));
    }

    public ValueTask<IReadOnlyList<RecordFailure>> GetRecordFailuresAsync(string jobName, string? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return UseAsync((jobName, after, limit), static (store, args) =>
        {
            // The primary key (job_name, record_id) serves the range and the order: one page read, however many failures.
            using var command = store.Command(args.after is null ? FirstFailurePageSql : FailurePageSql);
            command.Parameters.AddWithValue("$job", Stored(args.jobName));
            command.Parameters.AddWithValue("$limit", args.limit);
            if (args.after is not null)
            {
                command.Parameters.AddWithValue("$after", Stored(args.after));
            }

            var failures = new List<RecordFailure>();
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                failures.Add(ReadFailure(reader));
            }

            return (IReadOnlyList<RecordFailure>)failures;
        }, cancellationToken, Commit.None);
    }

    public ValueTask<IReadOnlyList<RecordFailure>> FindRecordFailuresAsync(string jobName, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(jobName);
        ArgumentNullException.ThrowIfNull(recordIds);
        if (recordIds.Count == 0)
        {
            return ValueTask.FromResult<IReadOnlyList<RecordFailure>>([]);
        }

        return UseAsync((jobName, recordIds), static (store, args) =>
        {
            using var command = store.Command($"SELECT {FailureColumns} FROM record_failures WHERE job_name = $job AND record_id = $id;");
            command.Parameters.AddWithValue("$job", Stored(args.jobName));
            var id = command.Parameters.Add("$id", SqliteType.Text);
            var failures = new List<RecordFailure>();
            foreach (var recordId in args.recordIds.Distinct(StringComparer.Ordinal))
            {
                id.Value = Stored(recordId);
                using var reader = command.ExecuteReader();
                if (reader.Read())
                {
                    failures.Add(ReadFailure(reader));
                }
            }

            return (IReadOnlyList<RecordFailure>)failures;
        }, cancellationToken, Commit.None);
    }

    /// <summary>The first page of a job's failures ($job, $limit).</summary>
    internal const string FirstFailurePageSql = $"SELECT {FailureColumns} FROM record_failures WHERE job_name = $job ORDER BY record_id LIMIT $limit;";

    /// <summary>The page of a job's failures after an id ($job, $after, $limit).</summary>
    internal const string FailurePageSql = $"SELECT {FailureColumns} FROM record_failures WHERE job_name = $job AND record_id > $after ORDER BY record_id LIMIT $limit;";

    private const string FailureColumns = "record_id, status, error, attempts, last_attempt_at";

    private static RecordFailure ReadFailure(SqliteDataReader reader) => new(
        ReadText(reader, 0),
        Enum.Parse<RecordStatus>(reader.GetString(1)),
        ReadTextOrNull(reader, 2),
        reader.GetInt32(3),
        FromTicks(reader.GetInt64(4)));

    private static async ValueTask Unit<T>(ValueTask<T> task) => await task.ConfigureAwait(false);

    /// <summary>A run to add to the history (with its log as JSON), or a job's history to purge.</summary>
    private sealed class HistoryWrite : GroupedWrite
    {
        public HistoryWrite(JobRun run, string log)
        {
            Run = run;
            Log = log;
        }

        public HistoryWrite(string jobName, int keepLast, long endedBefore)
        {
            JobName = jobName;
            KeepLast = keepLast;
            EndedBefore = endedBefore;
        }

        public JobRun? Run { get; }

        /// <summary>Gets a value indicating whether this is a purge: it may be slow over a big history, so it commits alone.</summary>
        public override bool CommitsAlone => Run is null;

        public string? Log { get; }

        public string? JobName { get; }

        public int KeepLast { get; }

        public long EndedBefore { get; }
    }
}
