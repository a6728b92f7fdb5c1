using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.Testing;
using Npgsql;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>A run's predecessor is read through the runs index (job_key, seq): no scan of the table, no sort.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlPredecessorPlanTests(PostgreSqlServer server) : IAsyncLifetime
{
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("predecessor_plan");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_runs_predecessor_is_read_through_the_runs_index_without_sorting()
    {
        var runs = new List<JobRun>();
        await using (var store = new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = "plan" }))
        {
            for (var i = 0; i < 300; i++)
            {
                var run = StoreTestData.Run(i % 3 == 0 ? "order-submit" : $"job-{i % 7}", StoreTestData.T0.AddMinutes(i), JobOutcome.Succeeded);
                await store.AddRunAsync(run, default);
                runs.Add(run);
            }
        }

        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using (var analyze = new NpgsqlCommand("ANALYZE plan.runs; SET enable_seqscan = off;", connection))
        {
            await analyze.ExecuteNonQueryAsync();
        }

        await using var explain = new NpgsqlCommand("EXPLAIN " + PostgreSqlJobStore.PredecessorSql("plan"), connection);
        explain.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "order-submit" });
        explain.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = runs[^3].RunId });
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        var text = string.Join('\n', plan);
        Assert.Equal(2, plan.Count(p => p.Contains("Index Scan Backward using runs_job_seq", StringComparison.Ordinal)));
        Assert.Contains("seq < r.seq", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Sort", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", text, StringComparison.Ordinal);
    }
}
