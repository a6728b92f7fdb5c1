using System.Text.Json;
using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.Storage;
using Npgsql;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>
/// How the PostgreSQL store holds texts from outside (the round trip itself is in the contract suite): ordinary text and
/// payloads are stored as they are, readable and queryable in SQL; only what <c>text</c> / <c>jsonb</c> cannot hold is escaped.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlStoredTextTests(PostgreSqlServer server) : IAsyncLifetime
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("stored_text");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Ordinary_text_is_stored_as_it_is_and_only_NUL_lone_surrogates_and_the_escape_are_escaped()
    {
        await using var store = new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = "texts" });
        await store.AddRecordFailuresAsync("order-submit",
        [
            new RecordFailure("SO-1 é 東 😀", RecordStatus.Skipped, "ERP said: \"busy\"\r\n\tretry \\u0000", 0, T0),
            new RecordFailure("SO-2", RecordStatus.Skipped, "nul\0 high\uD800 low\uDC00 escape\uE000", 0, T0),
        ], default);

        Assert.Equal(["SO-1 é 東 😀"], await QueryAsync<string>("SELECT record_id FROM texts.record_failures WHERE error LIKE 'ERP said:%retry %u0000' AND error NOT LIKE '%' || chr(57344) || '%'"));
        Assert.Equal(["nul\uE0000000 high\uE000D800 low\uE000DC00 escape\uE000E000"], await QueryAsync<string>("SELECT error FROM texts.record_failures WHERE record_id = 'SO-2'"));
    }

    [Fact]
    public async Task Payloads_stay_queryable_jsonb_and_one_with_NUL_is_stored_with_its_strings_escaped()
    {
        await using var store = new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = "payloads" });
        await store.AddEntityChangesAsync(["search"],
        [
            EntityChange.Upsert("categories", "c-1", new { Name = "Grüße 😀", Note = "line\r\nbreak" }, 1),
            EntityChange.Upsert("categories", "c-2", new { Name = "nul\0inside", Note = "\uE000" }, 1),
        ], repair: false, default);

        Assert.Equal(["Grüße 😀", "nul\uE0000000inside"], await QueryAsync<string>("SELECT payload->>'name' FROM payloads.entity_changes ORDER BY entity_id"));
        Assert.Equal(["line\r\nbreak", "\uE000E000"], await QueryAsync<string>("SELECT payload->>'note' FROM payloads.entity_changes ORDER BY entity_id"));

        var held = (await store.GetEntityChangesAsync("categories", "search", default)).OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
        Assert.Equal("nul\0inside", ((JsonElement)held[1].Payload!).GetProperty("name").GetString());
        Assert.Equal("\uE000", ((JsonElement)held[1].Payload!).GetProperty("note").GetString());
        Assert.Equal("line\r\nbreak", ((JsonElement)held[0].Payload!).GetProperty("note").GetString());
    }

    [Fact]
    public async Task A_payload_with_a_lone_surrogate_escape_is_held_with_the_others_of_its_call()
    {
        await using var store = new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = "lone" });
        using var lone = JsonDocument.Parse("{\"name\":\"x\\uD800y \\uD83D\\uDE00\",\"n\":1.50,\"ok\":true,\"none\":null,\"list\":[\"\\\"q\\\"\\n\"]}");

        await store.AddEntityChangesAsync(["search"],
        [
            EntityChange.Upsert("categories", "c-1", lone.RootElement.Clone(), 1),
            EntityChange.Upsert("categories", "c-2", new { Name = "plain" }, 1),
        ], repair: false, default);

        var held = (await store.GetEntityChangesAsync("categories", "search", default)).OrderBy(c => c.Id, StringComparer.Ordinal).ToList();
        var payload = (JsonElement)held[0].Payload!;
        Assert.Equal("x\uFFFDy 😀", payload.GetProperty("name").GetString());   // System.Text.Json cannot hand back a lone surrogate
        Assert.Equal(1.50m, payload.GetProperty("n").GetDecimal());
        Assert.True(payload.GetProperty("ok").GetBoolean());
        Assert.Equal(JsonValueKind.Null, payload.GetProperty("none").ValueKind);
        Assert.Equal("\"q\"\n", payload.GetProperty("list")[0].GetString());
        Assert.Equal("plain", ((JsonElement)held[1].Payload!).GetProperty("name").GetString());
    }

    private async Task<List<T>> QueryAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        var values = new List<T>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }
}
