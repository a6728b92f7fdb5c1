using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>Checks the SQLite store's settings; every message names the setting.</summary>
internal sealed class SqliteStoreOptionsValidator : IValidateOptions<SqliteStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, SqliteStoreOptions options)
    {
        var errors = GetErrors(options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static List<string> GetErrors(SqliteStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            errors.Add("SQLite store: ConnectionString is required (for example \"Data Source=jobs.db\").");
        }
        else
        {
            try
            {
                var builder = new SqliteConnectionStringBuilder(options.ConnectionString);
                if (string.IsNullOrWhiteSpace(builder.DataSource))
                {
                    errors.Add("SQLite store: ConnectionString must name a Data Source (for example \"Data Source=jobs.db\").");
                }
                else if (builder.Mode == SqliteOpenMode.ReadOnly)
                {
                    errors.Add("SQLite store: ConnectionString must not open the database read-only (Mode=ReadOnly).");
                }
            }
            catch (ArgumentException ex)
            {
                // The message names the offending keyword, never the rest of the string (it may carry a password).
                errors.Add($"SQLite store: ConnectionString is not a valid SQLite connection string: {ex.Message}");
            }
        }

        // Not zero: Microsoft.Data.Sqlite reads a zero command timeout as "retry a busy database forever".
        if (options.BusyTimeout < SqliteStoreDefaults.MinBusyTimeout || options.BusyTimeout > SqliteStoreDefaults.MaxBusyTimeout)
        {
            errors.Add($"SQLite store: BusyTimeout must be between {SqliteStoreDefaults.MinBusyTimeout} and {SqliteStoreDefaults.MaxBusyTimeout} (was {options.BusyTimeout}).");
        }

        return errors;
    }
}
