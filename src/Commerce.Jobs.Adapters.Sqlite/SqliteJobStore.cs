using System.Globalization;
using System.Text.Json;
using Commerce.Jobs.Storage;
using Microsoft.Data.Sqlite;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>
/// The embedded durable store: everything <see cref="IJobStore"/> holds, in one SQLite file in write-ahead-log mode.
/// </summary>
/// <remarks>
/// One connection, opened for the store's lifetime, serves every call; a semaphore lets one call at a time use it
/// (SQLite has one writer anyway, and an uncontended wait costs nothing). Every write is one transaction per call — a
/// whole batch of records, never one per record. Every commit survives a killed process (WAL); writes that accept work
/// are also synced to disk before they return (<c>synchronous=FULL</c>), so they survive a power cut, while writes that
/// only record progress are synced with the next such commit (see <see cref="Commit"/>).
/// </remarks>
internal sealed partial class SqliteJobStore : IJobStore, IDisposable, IAsyncDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly JsonSerializerOptions _payloadOptions;
    private readonly GroupWriter<HistoryWrite> _history;
    private SqliteCommand? _insertRun;
    private SqliteCommand? _getPredecessors;
    private Commit _synchronous = Commit.Durable;
    private bool _disposed;

    private SqliteJobStore(SqliteConnection connection, JsonSerializerOptions payloadOptions)
    {
        _connection = connection;
        _payloadOptions = payloadOptions;
        _history = new GroupWriter<HistoryWrite>($"SQLite job store '{connection.DataSource}'", CommitHistoryAsync);
    }

    /// <summary>Gets the database file (or <c>:memory:</c>).</summary>
    public string DataSource => _connection.DataSource;

    /// <summary>
    /// Opens the store: opens the file (creating it if the connection string allows), switches it to WAL, migrates or
    /// checks the schema, and releases leases left by a previous process, as <paramref name="options"/> say.
    /// </summary>
    /// <param name="options">The settings.</param>
    /// <param name="payloadOptions">How entity-change payloads are serialized; <see langword="null"/> for <see cref="JsonSerializerOptions.Web"/>.</param>
    /// <returns>The open store.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    /// <exception cref="InvalidOperationException">
    /// The file cannot be opened, is not a database, or stays locked by another connection beyond the busy timeout (the
    /// message names the file, the <see cref="SqliteException"/> is the inner exception); or the schema is missing or older
    /// (with AutoMigrate off), or newer than this package knows.
    /// </exception>
    public static SqliteJobStore Open(SqliteStoreOptions options, JsonSerializerOptions? payloadOptions = null)
    {
        var errors = SqliteStoreOptionsValidator.GetErrors(options);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        // Pooling off: the store keeps its one connection, and closing it must close the file.
        var builder = new SqliteConnectionStringBuilder(options.ConnectionString)
        {
            Pooling = false,
            DefaultTimeout = (int)Math.Ceiling(options.BusyTimeout.TotalSeconds),
        };
        var connection = new SqliteConnection(builder.ToString());
        try
        {
            connection.Open();
            Execute(connection, null, string.Create(CultureInfo.InvariantCulture, $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds};"));

            // WAL: readers never block the writer, a commit appends to the log instead of rewriting pages, and a process killed
            // mid-write leaves the last committed state. synchronous=FULL syncs the log on every commit: records the store
            // accepted are on disk, not only in the OS cache (NORMAL survives a killed process but not a power cut). Calls
            // that only record progress lower it to NORMAL for their commit (see Commit).
            Execute(connection, null, "PRAGMA journal_mode = WAL;");
            Execute(connection, null, "PRAGMA synchronous = FULL;");

            if (options.AutoMigrate)
            {
                Migrate(connection, connection.DataSource);
            }
            else
            {
                CheckSchema(connection, connection.DataSource);
            }

            if (options.ReleaseLeasesOnOpen)
            {
                Execute(connection, null, "UPDATE inbox SET owner = NULL, lease_until = NULL WHERE owner IS NOT NULL OR lease_until IS NOT NULL;");
                Execute(connection, null, "UPDATE entity_held SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL OR lease_until IS NOT NULL;");
            }

            return new SqliteJobStore(connection, payloadOptions ?? JsonSerializerOptions.Web);
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw new InvalidOperationException(OpenFailure(builder.DataSource, ex, options.BusyTimeout), ex);
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Gets how many groups of history writes were committed (or failed) so far.</summary>
    internal long HistoryGroups => _history.Groups;

    public void Dispose()
    {
        // The history writer runs on the thread pool: waiting for it here cannot deadlock.
        _history.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _gate.Wait();
        try
        {
            Close();
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Runs queued for the history are committed first (within the writer's drain timeout).
        await _history.DisposeAsync().ConfigureAwait(false);
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            Close();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Gets the connection's <c>PRAGMA synchronous</c> now: 2 (FULL) after a durable write, 1 (NORMAL) after a progress write.</summary>
    internal ValueTask<long> GetSynchronousAsync(CancellationToken cancellationToken) => UseAsync(0, static (store, _) =>
    {
        using var command = store.Command("PRAGMA synchronous;");
        return (long)command.ExecuteScalar()!;
    }, cancellationToken, Commit.None);

    /// <summary>Gets the schema version of the open database.</summary>
    internal static int ReadSchemaVersion(SqliteConnection connection, SqliteTransaction? transaction)
    {
        using var exists = Command(connection, transaction, "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version';");
        if (Convert.ToInt64(exists.ExecuteScalar(), CultureInfo.InvariantCulture) == 0)
        {
            return 0;
        }

        using var max = Command(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_version;");
        return Convert.ToInt32(max.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Says which store and file failed to open, and why in words, before SQLite's own message.</summary>
    private static string OpenFailure(string dataSource, SqliteException ex, TimeSpan busyTimeout)
    {
        var file = string.IsNullOrEmpty(dataSource) || dataSource.StartsWith(':') || dataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase)
            ? dataSource
            : Path.GetFullPath(dataSource);
        var reason = ex.SqliteErrorCode switch
        {
            SQLitePCL.raw.SQLITE_NOTADB => "the file is not a SQLite database, or it is corrupt or encrypted (SQLITE_NOTADB)",
            SQLitePCL.raw.SQLITE_CORRUPT => "the database file is corrupt (SQLITE_CORRUPT)",
            SQLitePCL.raw.SQLITE_CANTOPEN => "the file cannot be opened or created; check that its directory exists and that the process may write there (SQLITE_CANTOPEN)",
            SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED => string.Create(CultureInfo.InvariantCulture,
                $"another connection or process held a lock on the file for longer than BusyTimeout, {busyTimeout.TotalMilliseconds} ms (SQLITE_{(ex.SqliteErrorCode == SQLitePCL.raw.SQLITE_BUSY ? "BUSY" : "LOCKED")})"),
            SQLitePCL.raw.SQLITE_READONLY => "the file or its directory is read-only (SQLITE_READONLY)",
            SQLitePCL.raw.SQLITE_PERM or SQLitePCL.raw.SQLITE_AUTH => "access to the file was denied (SQLITE_PERM)",
            SQLitePCL.raw.SQLITE_FULL => "the disk is full (SQLITE_FULL)",
            SQLitePCL.raw.SQLITE_IOERR => "a disk I/O error occurred (SQLITE_IOERR)",
            _ => string.Create(CultureInfo.InvariantCulture, $"SQLite error {ex.SqliteErrorCode}"),
        };
        return $"SQLite job store '{file}' could not be opened: {reason}. {ex.Message}";
    }

    private static void Migrate(SqliteConnection connection, string dataSource)
    {
        // BEGIN IMMEDIATE: a second process opening the same file at once waits, then finds the migrations applied.
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, SqliteMigrations.VersionTable);
        var version = ReadSchemaVersion(connection, transaction);
        ThrowIfNewer(version, dataSource);
        for (var next = version + 1; next <= SqliteStoreSchema.CurrentVersion; next++)
        {
            Execute(connection, transaction, SqliteMigrations.All[next - 1]);
            Execute(connection, transaction, SqliteMigrations.Record(next));
        }

        transaction.Commit();
    }

    private static void CheckSchema(SqliteConnection connection, string dataSource)
    {
        var version = ReadSchemaVersion(connection, null);
        ThrowIfNewer(version, dataSource);
        if (version < SqliteStoreSchema.CurrentVersion)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"SQLite job store '{dataSource}': the database has schema version {version}{(version == 0 ? " (no schema)" : "")}, but version {SqliteStoreSchema.CurrentVersion} is expected and AutoMigrate is off. " +
                $"Apply SqliteStoreSchema.GetMigrationScript({version}) to the database, or set SqliteStoreOptions.AutoMigrate to true."));
        }
    }

    private static void ThrowIfNewer(int version, string dataSource)
    {
        if (version > SqliteStoreSchema.CurrentVersion)
        {
            throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture,
                $"SQLite job store '{dataSource}': the database has schema version {version}, newer than version {SqliteStoreSchema.CurrentVersion} that this Commerce.Jobs.Adapters.Sqlite knows. Upgrade the package."));
        }
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        using var command = Command(connection, transaction, sql);
        return command.ExecuteNonQuery();
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = transaction;
        return command;
    }

    private static long ToTicks(DateTimeOffset time) => time.UtcTicks;

    private static DateTimeOffset FromTicks(long ticks) => new(ticks, TimeSpan.Zero);

    private static long ToUnixMs(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    private static object DbValue(string? value) => value is null ? DBNull.Value : value;

    /// <summary>A text from outside as stored: escaped where SQLite cannot hold it (see <see cref="StoredText"/>).</summary>
    private static object Stored(string? value) => value is null ? DBNull.Value : StoredText.Escape(value);

    /// <summary>A stored text as written.</summary>
    private static string ReadText(SqliteDataReader reader, int ordinal) => StoredText.Unescape(reader.GetString(ordinal));

    /// <summary>A stored text or <see langword="null"/>, as written.</summary>
    private static string? ReadTextOrNull(SqliteDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadText(reader, ordinal);

    private SqliteCommand Command(string sql, SqliteTransaction? transaction = null) => Command(_connection, transaction, sql);

    /// <summary>Runs <paramref name="work"/> with the connection to itself (one call at a time), its commits synced as <paramref name="commit"/> says.</summary>
    private async ValueTask<TResult> UseAsync<TState, TResult>(TState state, Func<SqliteJobStore, TState, TResult> work, CancellationToken cancellationToken, Commit commit = Commit.Durable)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            SetSynchronous(commit);
            return work(this, state);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Sets <c>PRAGMA synchronous</c> for the next commit as <paramref name="commit"/> says (under the gate).</summary>
    private void SetSynchronous(Commit commit)
    {
        if (commit != Commit.None && commit != _synchronous)
        {
            Execute(_connection, null, commit == Commit.Durable ? "PRAGMA synchronous = FULL;" : "PRAGMA synchronous = NORMAL;");
            _synchronous = commit;
        }
    }

    /// <summary>How a call's commit reaches the disk.</summary>
    private enum Commit
    {
        /// <summary>The call only reads.</summary>
        None,

        /// <summary>
        /// <c>synchronous=FULL</c>: the write-ahead log is synced before the call returns. For writes that accept work
        /// (offered records, entity changes, checkpoints, occurrence claims, history, failures): losing them loses data.
        /// </summary>
        Durable,

        /// <summary>
        /// <c>synchronous=NORMAL</c>: committed to the log (which survives a killed process) but synced with the next
        /// durable commit or checkpoint. For writes that record progress (claims, lease renewals, completions, entity
        /// deliveries): a power cut can only undo them, and undone progress is done again — at least once, under the same
        /// idempotency key — never lost.
        /// </summary>
        Progress,
    }

    private void Close()
    {
        if (!_disposed)
        {
            _disposed = true;
            _insertRun?.Dispose();
            _getPredecessors?.Dispose();
            _enqueueMany?.Dispose();
            _enqueueOne?.Dispose();
            _selectPending?.Dispose();
            _selectIncludingFailed?.Dispose();
            _leasePending?.Dispose();
            _leaseIncludingFailed?.Dispose();
            _deleteDelivered?.Dispose();
            _connection.Dispose();
        }
    }
}
