using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>Checks the PostgreSQL store's settings; every message names the setting and none repeats the connection string (it may hold a password).</summary>
internal sealed partial class PostgreSqlStoreOptionsValidator : IValidateOptions<PostgreSqlStoreOptions>
{
    public ValidateOptionsResult Validate(string? name, PostgreSqlStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            errors.Add("PostgreSQL store: ConnectionString is required.");
        }
        else
        {
            try
            {
                _ = new NpgsqlConnectionStringBuilder(options.ConnectionString);
            }
            catch (ArgumentException ex)
            {
                errors.Add($"PostgreSQL store: ConnectionString is not a valid Npgsql connection string ({ex.Message}).");
            }
        }

        if (!IsValidSchema(options.Schema))
        {
            errors.Add($"PostgreSQL store: Schema must be letters, digits and '_', not start with a digit, and be at most 63 characters (was '{options.Schema}').");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    public static bool IsValidSchema(string? schema) => schema is not null && SchemaPattern().IsMatch(schema);

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$", RegexOptions.CultureInvariant)]
    private static partial Regex SchemaPattern();
}
