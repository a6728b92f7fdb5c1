using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>
/// The job store several hosts of one application share: run history, record failures, record inboxes, occurrence claims,
/// checkpoints and held entity changes in PostgreSQL. Every call is one statement (or one batch, or one transaction), never
/// one per record; record sets travel as arrays (<c>unnest</c>).
/// </summary>
/// <remarks>
/// Job names, entity types and target names compare case-insensitively (they are stored under a lower-case key), record
/// and entity ids ordinally (<c>COLLATE "C"</c>). Times are stored as <c>timestamptz</c> (microseconds). Every text from
/// outside goes through <see cref="StoredText"/> (<c>text</c> cannot hold NUL, and Npgsql's UTF-8 refuses a lone
/// surrogate), keys included, so a lookup escapes the same way; JSON documents escape their strings the same way.
/// </remarks>
internal sealed partial class PostgreSqlJobStore : IJobStore, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _schema;
    private readonly bool _autoMigrate;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _initializing = new(1, 1);
    private readonly Sql _sql;
    private readonly string _displayName;
    private readonly GroupWriter<HistoryWrite> _history;
    private volatile bool _initialized;

    public PostgreSqlJobStore(PostgreSqlStoreOptions options, ILoggerFactory? loggerFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var validation = new PostgreSqlStoreOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        var builder = new NpgsqlDataSourceBuilder(options.ConnectionString);
        if (builder.ConnectionStringBuilder.MaxAutoPrepare == 0)
        {
            builder.ConnectionStringBuilder.MaxAutoPrepare = PostgreSqlStoreDefaults.MaxAutoPrepare;
        }

        if (loggerFactory is not null)
        {
            builder.UseLoggerFactory(loggerFactory);
        }

        _dataSource = builder.Build();
        _schema = options.Schema;
        _autoMigrate = options.AutoMigrate;
        _logger = loggerFactory?.CreateLogger<PostgreSqlJobStore>() ?? NullLogger<PostgreSqlJobStore>.Instance;
        _sql = new Sql(PostgreSqlStoreMigrations.Quote(options.Schema));
        var connection = builder.ConnectionStringBuilder;
        _displayName = $"PostgreSQL job store (host {connection.Host}:{connection.Port}, database '{connection.Database ?? connection.Username}', schema '{options.Schema}')";
        _history = new GroupWriter<HistoryWrite>(_displayName, CommitHistoryAsync);
    }

    public ValueTask AddRunAsync(JobRun run, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(run);

        // Texts are escaped and the log written here, on the caller's thread: the history writer only binds and inserts.
        return new ValueTask(_history.WriteAsync(new HistoryWrite(run, Key(run.JobName), WriteLog(run.Log)), cancellationToken));
    }

    public async ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken)
    {
        if (maxRuns <= 0)
        {
            return [];
        }

        using var command = await CreateCommandAsync(_sql.GetRuns, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        command.Parameters.Add(Param(maxRuns));
        var runs = new List<JobRun>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            runs.Add(new JobRun
            {
                RunId = reader.GetGuid(0),
                JobName = ReadText(reader, 1),
                Trigger = (TriggerKind)reader.GetInt16(2),
                HostName = ReadText(reader, 3),
                StartedAt = reader.GetFieldValue<DateTimeOffset>(4),
                EndedAt = reader.GetFieldValue<DateTimeOffset>(5),
                Outcome = (JobOutcome)reader.GetInt16(6),
                Counts = new RecordCounts(reader.GetInt64(7), reader.GetInt64(8), reader.GetInt64(9), reader.GetInt64(10)),
                Error = ReadTextOrNull(reader, 11),
                Log = ReadLog(reader.GetString(12)),
            });
        }

        return runs;
    }

    public async ValueTask<RunPredecessor> GetPredecessorAsync(string jobName, Guid runId, CancellationToken cancellationToken)
        => (await GetPredecessorsAsync(jobName, [runId], cancellationToken).ConfigureAwait(false))[0];

    public async ValueTask<IReadOnlyList<RunPredecessor>> GetPredecessorsAsync(string jobName, IReadOnlyList<Guid> runIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(runIds);
        var key = Key(jobName);
        var predecessors = new RunPredecessor[runIds.Count];
        if (predecessors.Length == 0)
        {
            return predecessors;
        }

        using var command = await CreateCommandAsync(_sql.GetPredecessors, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(key));
        command.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = [.. runIds], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            // A row per id found (ord is its place in runIds, from 1); an id not found keeps the default answer.
            predecessors[reader.GetInt64(0) - 1] = new RunPredecessor(true, reader.IsDBNull(1) ? null : (JobOutcome)reader.GetInt16(1));
        }

        return predecessors;
    }

    public ValueTask<int> PurgeRunsAsync(string jobName, int keepLast, DateTimeOffset endedBefore, CancellationToken cancellationToken)
    {
        // Through the history writer, in its own transaction after the runs added that wait with it: a failed purge (a timeout
        // over a big history, a deadlock with another host's purge of the job) fails no run.
        return new ValueTask<int>(_history.WriteAsync(new HistoryWrite(Key(jobName), keepLast, endedBefore.ToUniversalTime()), cancellationToken));
    }

    /// <summary>
    /// Commits history writes (runs added, or one purge: a purge commits alone) in one implicit transaction (one batch, one
    /// round trip, one commit): each stretch of runs added is one multi-row INSERT, each purge one DELETE, in the order they
    /// were queued. Throws if anything fails; then none of them is stored.
    /// </summary>
    private async ValueTask CommitHistoryAsync(IReadOnlyList<HistoryWrite> writes)
    {
        var connection = await OpenAsync(CancellationToken.None).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            using var batch = connection.CreateBatch();
            var purges = new List<(HistoryWrite Write, NpgsqlBatchCommand Command)>();
            for (var i = 0; i < writes.Count;)
            {
                if (writes[i].Run is null)
                {
                    var purge = new NpgsqlBatchCommand(_sql.PurgeRuns);
                    purge.Parameters.Add(Param(writes[i].Key));
                    purge.Parameters.Add(Param((long)Math.Max(0, writes[i].KeepLast)));
                    purge.Parameters.Add(Param(writes[i].EndedBefore));
                    batch.BatchCommands.Add(purge);
                    purges.Add((writes[i], purge));
                    i++;
                    continue;
                }

                var end = i;
                while (end < writes.Count && writes[end].Run is not null)
                {
                    end++;
                }

                batch.BatchCommands.Add(AddRuns(writes, i, end));
                i = end;
            }

            await batch.ExecuteNonQueryAsync().ConfigureAwait(false);
            foreach (var (write, command) in purges)
            {
                write.Result = checked((int)command.RecordsAffected);
            }
        }
    }

    /// <summary>The INSERT of the runs <paramref name="writes"/>[<paramref name="start"/>..<paramref name="end"/>), as arrays.</summary>
    private NpgsqlBatchCommand AddRuns(IReadOnlyList<HistoryWrite> writes, int start, int end)
    {
        var count = end - start;
        var keys = new string[count];
        var ids = new Guid[count];
        var names = new string[count];
        var triggers = new short[count];
        var hosts = new string[count];
        var started = new DateTime[count];
        var ended = new DateTime[count];
        var outcomes = new short[count];
        var read = new long[count];
        var delivered = new long[count];
        var skipped = new long[count];
        var failed = new long[count];
        var errors = new string?[count];
        var logs = new string[count];
        for (var i = 0; i < count; i++)
        {
            var write = writes[start + i];
            var run = write.Run!;
            keys[i] = write.Key;
            ids[i] = run.RunId;
            names[i] = StoredText.Escape(run.JobName);
            triggers[i] = (short)run.Trigger;
            hosts[i] = StoredText.Escape(run.HostName);
            started[i] = run.StartedAt.UtcDateTime;
            ended[i] = run.EndedAt.UtcDateTime;
            outcomes[i] = (short)run.Outcome;
            read[i] = run.Counts.Read;
            delivered[i] = run.Counts.Delivered;
            skipped[i] = run.Counts.Skipped;
            failed[i] = run.Counts.Failed;
            errors[i] = StoredText.Escape(run.Error);
            logs[i] = write.Log!;
        }

        var command = new NpgsqlBatchCommand(_sql.AddRuns);
        var p = command.Parameters;
        p.Add(Param(keys));
        p.Add(Param(ids));
        p.Add(Param(names));
        p.Add(Param(triggers));
        p.Add(Param(hosts));
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = started, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(new NpgsqlParameter<DateTime[]> { TypedValue = ended, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        p.Add(Param(outcomes));
        p.Add(Param(read));
        p.Add(Param(delivered));
        p.Add(Param(skipped));
        p.Add(Param(failed));
        p.Add(new NpgsqlParameter<string?[]> { TypedValue = errors, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        p.Add(new NpgsqlParameter<string[]> { TypedValue = logs, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        return command;
    }

    public async ValueTask AddRecordFailuresAsync(string jobName, IReadOnlyList<RecordFailure> failures, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(failures);
        if (failures.Count == 0)
        {
            return;
        }

        var ids = new string[failures.Count];
        var statuses = new short[failures.Count];
        var errors = new string?[failures.Count];
        var times = new DateTime[failures.Count];
        for (var i = 0; i < failures.Count; i++)
        {
            var failure = failures[i];
            ids[i] = StoredText.Escape(failure.RecordId);
            statuses[i] = (short)failure.Status;
            errors[i] = StoredText.Escape(failure.Error);
            times[i] = failure.LastAttemptAt.UtcDateTime;
        }

        using var command = await CreateCommandAsync(_sql.AddFailures, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        command.Parameters.Add(Param(ids));
        command.Parameters.Add(Param(statuses));
        command.Parameters.Add(new NpgsqlParameter<string?[]> { TypedValue = errors, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter<DateTime[]> { TypedValue = times, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(Hashes(ids));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask RemoveRecordFailuresAsync(string jobName, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        if (recordIds.Count == 0)
        {
            return;
        }

        using var command = await CreateCommandAsync(_sql.RemoveFailures, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        command.Parameters.Add(Hashes(StoredText.EscapeAll(recordIds)));
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<RecordFailure>> GetRecordFailuresAsync(string jobName, string? after, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        using var command = await CreateCommandAsync(_sql.GetFailuresPage, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        command.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = after is null ? [] : IdHash(StoredText.Escape(after)), NpgsqlDbType = NpgsqlDbType.Bytea });
        command.Parameters.Add(Param((long)limit));
        return await ReadFailuresAsync(command, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<RecordFailure>> FindRecordFailuresAsync(string jobName, IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        if (recordIds.Count == 0)
        {
            return [];
        }

        using var command = await CreateCommandAsync(_sql.FindFailures, cancellationToken).ConfigureAwait(false);
        command.Parameters.Add(Param(Key(jobName)));
        command.Parameters.Add(Hashes(StoredText.EscapeAll(recordIds)));
        return await ReadFailuresAsync(command, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The statement that reads runs' predecessors in <paramref name="schema"/> (tests look at its plan).</summary>
    internal static string PredecessorsSql(string schema) => new Sql(PostgreSqlStoreMigrations.Quote(schema)).GetPredecessors;

    /// <summary>The statement that reads a page of failures in <paramref name="schema"/> (tests look at its plan).</summary>
    internal static string FailurePageSql(string schema) => new Sql(PostgreSqlStoreMigrations.Quote(schema)).GetFailuresPage;

    private static async ValueTask<IReadOnlyList<RecordFailure>> ReadFailuresAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var failures = new List<RecordFailure>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var readerScope = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            failures.Add(new RecordFailure(
                ReadText(reader, 0),
                (RecordStatus)reader.GetInt16(1),
                ReadTextOrNull(reader, 2),
                reader.GetInt32(3),
                reader.GetFieldValue<DateTimeOffset>(4)));
        }

        return failures;
    }

    /// <summary>Gets how many groups of history writes were committed (or failed) so far.</summary>
    internal long HistoryGroups => _history.Groups;

    public async ValueTask DisposeAsync()
    {
        // Runs queued for the history are committed first (within the writer's drain timeout).
        await _history.DisposeAsync().ConfigureAwait(false);
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _initializing.Dispose();
    }

    public void Dispose()
    {
        // The history writer runs on the thread pool: waiting for it here cannot deadlock.
        _history.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _dataSource.Dispose();
        _initializing.Dispose();
    }

    /// <summary>Makes sure the schema is there (migrating it, or checking its version), once per store.</summary>
    internal async ValueTask EnsureInitializedAsync(CancellationToken cancellationToken)
    {
        if (_initialized)
        {
            return;
        }

        await _initializing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_initialized)
            {
                return;
            }

            int? version;
            try
            {
                if (_autoMigrate)
                {
                    await MigrateAsync(cancellationToken).ConfigureAwait(false);
                }

                version = await GetSchemaVersionAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NpgsqlException ex)
            {
                // The first connection names what failed (never the password); the next call tries again.
                throw new InvalidOperationException($"{_displayName} could not be opened: {ex.Message}", ex);
            }

            if (version is not { } found || found < PostgreSqlStoreMigrations.LatestVersion)
            {
                throw new InvalidOperationException(
                    $"The Commerce.Jobs PostgreSQL store needs schema \"{_schema}\" at version {PostgreSqlStoreMigrations.LatestVersion}, but it is "
                    + (version is null ? "missing" : $"at version {version}")
                    + $". AutoMigrate is off: apply PostgreSqlStoreMigrations.GetScript(\"{_schema}\") to the database, or set PostgreSqlStoreOptions.AutoMigrate to true.");
            }

            _initialized = true;
        }
        finally
        {
            _initializing.Release();
        }
    }

    private async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                // Hosts starting together queue here; the first migrates, the others then find the schema current.
                using (var gate = new NpgsqlCommand($"SELECT pg_advisory_xact_lock({PostgreSqlStoreMigrations.LockClass}, hashtext($1))", connection, transaction))
                {
                    gate.Parameters.Add(Param(_schema));
                    await gate.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                var before = await ReadVersionAsync(connection, cancellationToken).ConfigureAwait(false);
                if (before >= PostgreSqlStoreMigrations.LatestVersion)
                {
                    return;
                }

                using (var command = new NpgsqlCommand(PostgreSqlStoreMigrations.GetBody(_schema, PostgreSqlStoreMigrations.LatestVersion), connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                PostgreSqlStoreLog.Migrated(_logger, _schema, before ?? 0, PostgreSqlStoreMigrations.LatestVersion);
            }
        }
    }

    private async Task<int?> GetSchemaVersionAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            return await ReadVersionAsync(connection, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<int?> ReadVersionAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        using (var exists = new NpgsqlCommand("SELECT to_regclass($1) IS NOT NULL", connection))
        {
            exists.Parameters.Add(Param(string.Concat(PostgreSqlStoreMigrations.Quote(_schema), ".schema_version")));
            if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!)
            {
                return null;
            }
        }

        using var version = new NpgsqlCommand($"SELECT coalesce(max(version), 0) FROM {PostgreSqlStoreMigrations.Quote(_schema)}.schema_version", connection);
        return (int)(await version.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    /// <summary>A command on a pooled connection (the data source opens and returns it per execution).</summary>
    private async ValueTask<NpgsqlCommand> CreateCommandAsync(string sql, CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return _dataSource.CreateCommand(sql);
    }

    /// <summary>An open connection for a transaction.</summary>
    private async ValueTask<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A name's case-insensitive key, as stored.</summary>
    private static string Key(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return StoredText.Escape(name.ToLowerInvariant());
    }

    /// <summary>A stored text as written.</summary>
    private static string ReadText(NpgsqlDataReader reader, int ordinal) => StoredText.Unescape(reader.GetString(ordinal));

    /// <summary>A stored text or <see langword="null"/>, as written.</summary>
    private static string? ReadTextOrNull(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadText(reader, ordinal);

    /// <summary>
    /// The key of a record or entity id as stored (escaped): the SHA-256 of its UTF-8, 32 bytes whatever the id's length. It
    /// equals migration 3's <c>sha256(convert_to(id, 'UTF8'))</c>: an escaped text holds no lone surrogate, so its UTF-8 is exact.
    /// </summary>
    internal static byte[] IdHash(string storedId) => SHA256.HashData(Encoding.UTF8.GetBytes(storedId));

    /// <summary>The keys of stored ids, as one <c>bytea[]</c> parameter.</summary>
    private static NpgsqlParameter<byte[][]> Hashes(IReadOnlyList<string> storedIds)
    {
        var hashes = new byte[storedIds.Count][];
        for (var i = 0; i < hashes.Length; i++)
        {
            hashes[i] = IdHash(storedIds[i]);
        }

        return new NpgsqlParameter<byte[][]> { TypedValue = hashes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea };
    }

    private static NpgsqlParameter<T> Param<T>(T value) => new() { TypedValue = value };

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private static string WriteLog(IReadOnlyList<JobLogEntry> log)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + (log.Count * 96));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var entry in log)
            {
                json.WriteStartObject();
                json.WriteString("at"u8, entry.Timestamp.ToUniversalTime());
                json.WriteNumber("level"u8, (int)entry.Level);
                json.WriteString("message"u8, StoredText.Escape(entry.Message));
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static JobLogEntry[] ReadLog(string json)
    {
        using var document = JsonDocument.Parse(json);
        var entries = new JobLogEntry[document.RootElement.GetArrayLength()];
        var i = 0;
        foreach (var entry in document.RootElement.EnumerateArray())
        {
            entries[i++] = new JobLogEntry(
                entry.GetProperty("at"u8).GetDateTimeOffset(),
                (JobLogLevel)entry.GetProperty("level"u8).GetInt32(),
                StoredText.Unescape(entry.GetProperty("message"u8).GetString() ?? string.Empty));
        }

        return entries;
    }

    /// <summary>A run to add to the history (with its job key and its log as JSON), or a job's history to purge.</summary>
    private sealed class HistoryWrite : GroupedWrite
    {
        public HistoryWrite(JobRun run, string key, string log)
        {
            Run = run;
            Key = key;
            Log = log;
        }

        public HistoryWrite(string key, int keepLast, DateTimeOffset endedBefore)
        {
            Key = key;
            KeepLast = keepLast;
            EndedBefore = endedBefore;
        }

        public JobRun? Run { get; }

        /// <summary>Gets a value indicating whether this is a purge: it may be slow or deadlock with another host's, so it commits alone.</summary>
        public override bool CommitsAlone => Run is null;

        public string Key { get; }

        public string? Log { get; }

        public int KeepLast { get; }

        public DateTimeOffset EndedBefore { get; }
    }
}
