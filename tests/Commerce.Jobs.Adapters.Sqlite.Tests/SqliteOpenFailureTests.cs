using Microsoft.Data.Sqlite;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>A file the store cannot open fails with a message that names the store and the file, the SQLite error inside.</summary>
public sealed class SqliteOpenFailureTests : IDisposable
{
    private readonly TempDatabase _database = new();

    [Fact]
    public void A_file_that_is_not_a_database_fails_naming_the_store_and_the_file()
    {
        var garbage = new byte[8192];
        new Random(20261207).NextBytes(garbage);
        File.WriteAllBytes(_database.Path, garbage);

        var ex = Assert.Throws<InvalidOperationException>(() => _database.Open());

        Assert.StartsWith($"SQLite job store '{_database.Path}' could not be opened:", ex.Message);
        Assert.Contains("not a database", ex.Message);
        Assert.Contains("SQLITE_NOTADB", ex.Message);
        Assert.Equal(26, Assert.IsType<SqliteException>(ex.InnerException).SqliteErrorCode);
    }

    [Fact]
    public void A_file_in_a_missing_directory_fails_naming_the_store_and_the_file()
    {
        var path = Path.Combine(_database.Directory, "missing", "jobs.db");

        var ex = Assert.Throws<InvalidOperationException>(() => SqliteJobStore.Open(new SqliteStoreOptions { ConnectionString = $"Data Source={path}" }));

        Assert.StartsWith($"SQLite job store '{path}' could not be opened:", ex.Message);
        Assert.Contains("SQLITE_CANTOPEN", ex.Message);
        Assert.Contains("directory", ex.Message);
        Assert.Equal(14, Assert.IsType<SqliteException>(ex.InnerException).SqliteErrorCode);
    }

    [Fact]
    public void A_file_whose_directory_is_a_file_fails_naming_the_store_and_the_file()
    {
        // An unwritable place even for root: a "directory" that is a plain file.
        var notADirectory = Path.Combine(_database.Directory, "plain-file");
        File.WriteAllText(notADirectory, "x");
        var path = Path.Combine(notADirectory, "jobs.db");

        var ex = Assert.Throws<InvalidOperationException>(() => SqliteJobStore.Open(new SqliteStoreOptions { ConnectionString = $"Data Source={path}" }));

        Assert.StartsWith($"SQLite job store '{path}' could not be opened:", ex.Message);
        Assert.IsType<SqliteException>(ex.InnerException);
    }

    [Fact]
    public void A_file_another_connection_holds_locked_fails_after_the_busy_timeout_naming_the_store_and_the_file()
    {
        using (_database.Open())
        {
        }

        using var other = new SqliteConnection($"Data Source={_database.Path};Pooling=False");
        other.Open();
        using (var exclusive = other.CreateCommand())
        {
            exclusive.CommandText = "PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; UPDATE inbox SET attempts = attempts;";
            exclusive.ExecuteNonQuery();
        }

        var ex = Assert.Throws<InvalidOperationException>(() => _database.Open(o => o.BusyTimeout = TimeSpan.FromMilliseconds(50)));

        Assert.StartsWith($"SQLite job store '{_database.Path}' could not be opened:", ex.Message);
        Assert.Contains("BusyTimeout", ex.Message);
        Assert.Contains(Assert.IsType<SqliteException>(ex.InnerException).SqliteErrorCode, new[] { 5, 6 });   // SQLITE_BUSY or SQLITE_LOCKED
    }

    public void Dispose() => _database.Dispose();
}
