namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>The defaults of <see cref="SqliteStoreOptions"/>, in one place.</summary>
internal static class SqliteStoreDefaults
{
    public const bool AutoMigrate = true;

    public const bool ReleaseLeasesOnOpen = true;

    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The shortest busy timeout accepted.</summary>
    public static readonly TimeSpan MinBusyTimeout = TimeSpan.FromMilliseconds(1);

    /// <summary>The longest busy timeout accepted (SQLite takes milliseconds as a 32-bit integer).</summary>
    public static readonly TimeSpan MaxBusyTimeout = TimeSpan.FromHours(1);
}
