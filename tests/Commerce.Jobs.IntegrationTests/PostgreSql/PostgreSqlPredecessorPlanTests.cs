using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.Testing;
using Npgsql;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>Runs' predecessors are read through the runs indexes: no scan of the table, however many runs are asked about.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlPredecessorPlanTests(PostgreSqlServer server) : IAsyncLifetime
{
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("predecessor_plan");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_bursts_predecessors_are_read_through_the_run_id_index_and_one_step_back_without_a_table_scan()
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

        // The oldest of the job's runs too: found through the index, not by walking the job's runs from the newest.
        Guid[] asked = [.. runs.Where((_, i) => i % 3 == 0).TakeLast(100).Select(r => r.RunId), runs[0].RunId, Guid.NewGuid()];
        await using var explain = new NpgsqlCommand("EXPLAIN " + PostgreSqlJobStore.PredecessorsSql("plan"), connection);
        explain.Parameters.Add(new NpgsqlParameter<string> { TypedValue = "order-submit" });
        explain.Parameters.Add(new NpgsqlParameter<Guid[]> { TypedValue = asked });
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                plan.Add(reader.GetString(0));
            }
        }

        var text = string.Join('\n', plan);
        // Each run asked about: one entry of runs_run_id. The run before it: one step back from its entry in runs_job_seq.
        foreach (var step in new[] { "using runs_run_id on runs r", "Index Cond: (run_id = u.run_id)", "Index Scan Backward using runs_job_seq on runs p", "Index Cond: (ROW(job_key, seq) < ROW(" })
        {
            Assert.True(text.Contains(step, StringComparison.Ordinal), $"No '{step}' in the plan:\n{text}");
        }

        Assert.False(text.Contains("Seq Scan", StringComparison.Ordinal), $"A table scan in the plan:\n{text}");
    }
}
