using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>
/// One SQL statement prepared once on the store's connection and run again and again, its parameters bound by number
/// (<c>?1</c>, <c>?2</c>…) straight to SQLite: for the inbox's per-record statements, where <see cref="SqliteCommand"/>'s
/// per-execution work (each parameter found by name in the statement's list, a binder object and a UTF-8 copy per
/// value, a data reader per execution) costs more than SQLite's own work on the row.
/// </summary>
/// <remarks>
/// Used under the store's gate only (one call at a time), inside or outside a <see cref="SqliteTransaction"/> of the same
/// connection. Every run ends with <see cref="Reset"/> (in a <c>finally</c>), so no statement stays active past the call
/// that ran it. Texts are bound as UTF-16 and read back as SQLite stores them (UTF-8), so they must be stored texts
/// (<see cref="StoredText"/>: no lone surrogates).
/// </remarks>
internal sealed class SqliteStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;

    private SqliteStatement(sqlite3 db, sqlite3_stmt statement)
    {
        _db = db;
        _statement = statement;
    }

    /// <summary>Prepares <paramref name="sql"/> (one statement) on <paramref name="connection"/>, to be kept for the connection's lifetime.</summary>
    public static SqliteStatement Prepare(SqliteConnection connection, string sql)
    {
        var db = connection.Handle!;
        var rc = raw.sqlite3_prepare_v3(db, sql, raw.SQLITE_PREPARE_PERSISTENT, out var statement);
        SqliteException.ThrowExceptionForRC(rc, db);
        return new SqliteStatement(db, statement);
    }

    public void Bind(int index, long value) => Check(raw.sqlite3_bind_int64(_statement, index, value));

    /// <summary>Binds a stored text (see <see cref="StoredText"/>), or NULL.</summary>
    public void Bind(int index, string? value) => Check(value is null
        ? raw.sqlite3_bind_null(_statement, index)
        : raw.sqlite3_bind_text16(_statement, index, value.AsSpan()));

    public void Bind(int index, ReadOnlySpan<char> value) => Check(raw.sqlite3_bind_text16(_statement, index, value));

    public void BindBlob(int index, ReadOnlySpan<byte> value) => Check(raw.sqlite3_bind_blob(_statement, index, value));

    /// <summary>Steps the statement: <see langword="true"/> when a row is ready to read, <see langword="false"/> when it is done.</summary>
    public bool Step()
    {
        var rc = raw.sqlite3_step(_statement);
        if (rc == raw.SQLITE_ROW)
        {
            return true;
        }

        if (rc == raw.SQLITE_DONE)
        {
            return false;
        }

        // sqlite3_reset returns the step's error too; the message is the connection's.
        SqliteException.ThrowExceptionForRC(rc, _db);
        return false;
    }

    /// <summary>Runs a statement that returns no rows, then resets it; returns the rows it changed.</summary>
    public int Execute()
    {
        try
        {
            while (Step())
            {
            }

            return raw.sqlite3_changes(_db);
        }
        finally
        {
            Reset();
        }
    }

    /// <summary>Makes the statement ready to run again and clears its bindings (SQLite keeps its own copy of each bound value until then: payloads must not stay held).</summary>
    public void Reset()
    {
        raw.sqlite3_reset(_statement);
        raw.sqlite3_clear_bindings(_statement);
    }

    public long GetInt64(int column) => raw.sqlite3_column_int64(_statement, column);

    public int GetInt32(int column) => raw.sqlite3_column_int(_statement, column);

    public bool IsNull(int column) => raw.sqlite3_column_type(_statement, column) == raw.SQLITE_NULL;

    /// <summary>Reads a text column as SQLite holds it (UTF-8).</summary>
    public string GetText(int column) => raw.sqlite3_column_text(_statement, column).utf8_to_string() ?? string.Empty;

    public byte[] GetBlob(int column)
    {
        var blob = raw.sqlite3_column_blob(_statement, column);
        return blob.IsEmpty ? [] : blob.ToArray();
    }

    public void Dispose() => _statement.Dispose();

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK)
        {
            SqliteException.ThrowExceptionForRC(rc, _db);
        }
    }
}
