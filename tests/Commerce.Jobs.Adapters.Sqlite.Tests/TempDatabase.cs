namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>A fresh database file in a folder of its own under the temp folder; deleting it removes the file, its WAL and its shared-memory file.</summary>
internal sealed class TempDatabase : IDisposable
{
    public TempDatabase()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "commerce-jobs-sqlite-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        Path = System.IO.Path.Combine(Directory, "jobs.db");
    }

    public string Directory { get; }

    public string Path { get; }

    public string ConnectionString => $"Data Source={Path}";

    public SqliteStoreOptions Options(Action<SqliteStoreOptions>? configure = null)
    {
        var options = new SqliteStoreOptions { ConnectionString = ConnectionString };
        configure?.Invoke(options);
        return options;
    }

    public SqliteJobStore Open(Action<SqliteStoreOptions>? configure = null) => SqliteJobStore.Open(Options(configure));

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A store still open (a failed test) keeps its files; the temp folder is cleaned by the OS.
        }
    }
}
