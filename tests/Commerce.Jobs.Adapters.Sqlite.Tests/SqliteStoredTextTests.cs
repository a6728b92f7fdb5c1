using Commerce.Jobs.Storage;
using Microsoft.Data.Sqlite;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>
/// How the SQLite store holds texts from outside (the round trip itself is in the contract suite): ordinary text is stored
/// as it is, readable and queryable in SQL; only NUL, lone surrogates and the escape character are escaped.
/// </summary>
public sealed class SqliteStoredTextTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);
    private readonly TempDatabase _database = new();

    [Fact]
    public async Task Ordinary_text_is_stored_as_it_is_and_only_NUL_lone_surrogates_and_the_escape_are_escaped()
    {
        using (var store = _database.Open())
        {
            await store.AddRecordFailuresAsync("order-submit",
            [
                new RecordFailure("SO-1 é 東 😀", RecordStatus.Skipped, "ERP said: \"busy\"\r\n\tretry \\u0000", 0, T0),
                new RecordFailure("SO-2", RecordStatus.Skipped, "nul\0 high\uD800 low\uDC00 escape\uE000", 0, T0),
            ], default);
        }

        using var connection = new SqliteConnection($"{_database.ConnectionString};Pooling=False");
        connection.Open();
        Assert.Equal("SO-1 é 東 😀", Scalar(connection, "SELECT record_id FROM record_failures WHERE error LIKE 'ERP said:%retry \\u0000';"));
        Assert.Equal("nul\uE0000000 high\uE000D800 low\uE000DC00 escape\uE000E000", Scalar(connection, "SELECT error FROM record_failures WHERE record_id = 'SO-2';"));
    }

    public void Dispose() => _database.Dispose();

    private static string? Scalar(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar() as string;
    }
}
