using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.Storage;
using Npgsql;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>A page of a job's failures is one range of the primary key (job_key, record_hash), in its order: no sort, no scan of the job's rows.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlFailurePageTests(PostgreSqlServer server) : IAsyncLifetime
{
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("failure_pages");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_failure_page_is_read_by_a_primary_key_range_without_sorting()
    {
        await using (var store = new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = "pages" }))
        {
            await store.AddRecordFailuresAsync("order-submit", [.. Enumerable.Range(0, 2_000).Select(i => new RecordFailure($"SO{i:D4}", RecordStatus.Skipped, null, 0, DateTimeOffset.UnixEpoch))], default);
        }

        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using (var analyze = new NpgsqlCommand("ANALYZE pages.record_failures; SET enable_seqscan = off;", connection))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        await using var explain = new NpgsqlCommand("EXPLAIN " + PostgreSqlJobStore.FailurePageSql("pages"), connection);
        explain.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "order-submit" });
        explain.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = PostgreSqlJobStore.IdHash("SO1000") });
        explain.Parameters.Add(new NpgsqlParameter<long> { TypedValue = 10 });
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        var text = string.Join('\n', plan);
        Assert.Contains("Index Scan using record_failures_pkey", text, StringComparison.Ordinal);
        Assert.Contains("record_hash >", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Sort", text, StringComparison.Ordinal);
    }
}
