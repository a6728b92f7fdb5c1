namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>Settings of the embedded SQLite job store.</summary>
/// <remarks>
/// The store is embedded: one process owns the database file. It opens the file when the host first needs the store,
/// switches it to write-ahead logging, applies the schema migrations it lacks (<see cref="AutoMigrate"/>), and releases
/// the inbox and entity-change leases a previous process of the host left behind (<see cref="ReleaseLeasesOnOpen"/>).
/// </remarks>
public sealed class SqliteStoreOptions
{
    /// <summary>Gets or sets the Microsoft.Data.Sqlite connection string, for example <c>Data Source=jobs.db</c>.</summary>
    /// <value>Required; there is no default. A relative file name is relative to the process's working directory.</value>
    public string? ConnectionString { get; set; }

    /// <summary>Gets or sets whether the store creates or upgrades its schema when it opens.</summary>
    /// <value>
    /// The default value is <see langword="true"/>. When <see langword="false"/>, the host applies
    /// <see cref="SqliteStoreSchema.GetMigrationScript(int)"/> itself, and a database whose schema is missing or older than
    /// <see cref="SqliteStoreSchema.CurrentVersion"/> fails to open with an error naming both versions.
    /// </value>
    public bool AutoMigrate { get; set; } = SqliteStoreDefaults.AutoMigrate;

    /// <summary>
    /// Gets or sets whether opening the store releases every inbox lease and every lease on a held entity change in the
    /// file, so the records and entity changes a crashed previous process had claimed are delivered at once instead of
    /// after their leases expire.
    /// </summary>
    /// <value>
    /// The default value is <see langword="true"/>, right when one process owns the file. Set it to <see langword="false"/>
    /// if several live processes share one file: a process that starts would otherwise take over records another is delivering.
    /// </value>
    public bool ReleaseLeasesOnOpen { get; set; } = SqliteStoreDefaults.ReleaseLeasesOnOpen;

    /// <summary>Gets or sets how long a statement waits for a lock another connection holds (another process, a backup) before it fails.</summary>
    /// <value>The default value is 30 seconds; between 1 millisecond and 1 hour.</value>
    public TimeSpan BusyTimeout { get; set; } = SqliteStoreDefaults.BusyTimeout;
}
