using Commerce.Jobs.Testing;
using Microsoft.Data.Sqlite;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>Runs' predecessors are read through the runs index (job_name, seq), newest first: no scan of the table, no sort.</summary>
public sealed class SqlitePredecessorPlanTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Fact]
    public async Task Runs_predecessors_are_read_through_the_runs_index_without_sorting()
    {
        var runs = new List<JobRun>();
        using (var store = _database.Open())
        {
            for (var i = 0; i < 300; i++)
            {
                var run = StoreTestData.Run(i % 3 == 0 ? "order-submit" : $"job-{i % 7}", StoreTestData.T0.AddMinutes(i), JobOutcome.Succeeded);
                await store.AddRunAsync(run, default);
                runs.Add(run);
            }
        }

        using var connection = new SqliteConnection($"{_database.ConnectionString};Pooling=False");
        connection.Open();
        using (var analyze = connection.CreateCommand())
        {
            analyze.CommandText = "ANALYZE;";
            analyze.ExecuteNonQuery();
        }

        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + SqliteJobStore.PredecessorsSql;
        command.Parameters.AddWithValue("$job", "order-submit");
        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }
        }

        var reads = plan.Where(p => p.StartsWith("SEARCH", StringComparison.Ordinal) || p.StartsWith("SCAN", StringComparison.Ordinal)).ToList();
        var read = Assert.Single(reads);
        Assert.Contains("USING INDEX ix_runs_job (job_name=?)", read, StringComparison.Ordinal);
        Assert.DoesNotContain(plan, p => p.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }
}
