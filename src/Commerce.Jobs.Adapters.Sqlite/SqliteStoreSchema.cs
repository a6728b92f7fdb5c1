using System.Globalization;
using System.Text;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>
/// The SQLite store's schema version and migration SQL, for hosts that apply migrations themselves
/// (<see cref="SqliteStoreOptions.AutoMigrate"/> off).
/// </summary>
/// <remarks>
/// The applied versions are kept in the <c>schema_version</c> table. The script is idempotent: running it on a database
/// that already has some or all of its migrations changes nothing that is there.
/// </remarks>
public static class SqliteStoreSchema
{
    /// <summary>Gets the schema version this package reads and writes.</summary>
    public static int CurrentVersion => SqliteMigrations.All.Count;

    /// <summary>Gets the SQL that brings a database from <paramref name="fromVersion"/> to <see cref="CurrentVersion"/>, in one transaction.</summary>
    /// <param name="fromVersion">The version the database has (the highest in its <c>schema_version</c> table; 0 for an empty database).</param>
    /// <returns>The script: each missing migration followed by the row that records it, between <c>BEGIN IMMEDIATE</c> and <c>COMMIT</c>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fromVersion"/> is negative or above <see cref="CurrentVersion"/>.</exception>
    /// <example><code>File.WriteAllText("migrate-jobs.sql", SqliteStoreSchema.GetMigrationScript());  // sqlite3 jobs.db &lt; migrate-jobs.sql</code></example>
    public static string GetMigrationScript(int fromVersion = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(fromVersion);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fromVersion, CurrentVersion);
        var script = new StringBuilder();
        script.AppendLine("BEGIN IMMEDIATE;");
        script.AppendLine(SqliteMigrations.VersionTable);
        for (var version = fromVersion + 1; version <= CurrentVersion; version++)
        {
            script.AppendLine(CultureInfo.InvariantCulture, $"-- Commerce.Jobs SQLite store: migration {version}");
            script.AppendLine(SqliteMigrations.All[version - 1]);
            script.AppendLine(SqliteMigrations.Record(version));
        }

        script.AppendLine("COMMIT;");
        return script.ToString();
    }
}
