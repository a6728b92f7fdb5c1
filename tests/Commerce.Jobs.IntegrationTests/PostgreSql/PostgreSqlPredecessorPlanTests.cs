using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.Testing;
using Npgsql;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>A run's predecessor is read through the runs indexes: no scan of the table.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlPredecessorPlanTests(PostgreSqlServer server) : IAsyncLifetime
{
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("predecessor_plan");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_runs_predecessor_is_read_through_the_runs_indexes_without_a_table_scan()
    {
        var runs = new List<JobRun>();
        await using (var store = new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = "plan" }))
        {
            for (var i = 0; i < 3_000; i++)
            {
                runs.Add(StoreTestData.Run(i % 3 == 0 ? "order-submit" : $"job-{i % 7}", StoreTestData.T0.AddMinutes(i), JobOutcome.Succeeded));
            }

            await Task.WhenAll(runs.Select(run => store.AddRunAsync(run, default).AsTask()));
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
        // The run: the job's rows through runs_job_seq (the planner may walk it backwards or read the job's entries as a
        // bitmap; no index on run_id). The run before it: one step back from the run's seq through an index.
        Assert.Contains("Index Cond: (job_key = ", text, StringComparison.Ordinal);
        Assert.Contains("on runs_job_seq", text, StringComparison.Ordinal);
        Assert.Contains("seq < r.seq", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", text, StringComparison.Ordinal);
    }
}
