using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>The PostgreSQL store's log messages (never the connection string).</summary>
internal static partial class PostgreSqlStoreLog
{
    [LoggerMessage(2001, LogLevel.Information, "PostgreSQL job store: migrated schema {Schema} from version {From} to {To}")]
    public static partial void Migrated(ILogger logger, string schema, int from, int to);
}
