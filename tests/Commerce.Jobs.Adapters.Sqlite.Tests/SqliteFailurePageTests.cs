using Commerce.Jobs.Storage;
using Microsoft.Data.Sqlite;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>A page of a job's failures is one range of the primary key (job_name, record_id): no scan of the job's rows, no sort.</summary>
public sealed class SqliteFailurePageTests : IDisposable
{
    private readonly TempDatabase _database = new();

    public void Dispose() => _database.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_failure_page_is_read_by_a_primary_key_range_without_sorting(bool after)
    {
        using (var store = _database.Open())
        {
            await store.AddRecordFailuresAsync("order-submit", [.. Enumerable.Range(0, 500).Select(i => new RecordFailure($"SO{i:D3}", RecordStatus.Skipped, null, 0, DateTimeOffset.UnixEpoch))], default);
        }

        using var connection = new SqliteConnection($"{_database.ConnectionString};Pooling=False");
        connection.Open();
        using (var analyze = connection.CreateCommand())
        {
            analyze.CommandText = "ANALYZE;";
            analyze.ExecuteNonQuery();
        }

        using var command = connection.CreateCommand();
        command.CommandText = "EXPLAIN QUERY PLAN " + (after ? SqliteJobStore.FailurePageSql : SqliteJobStore.FirstFailurePageSql);
        command.Parameters.AddWithValue("$job", "order-submit");
        command.Parameters.AddWithValue("$limit", 10);
        if (after)
        {
            command.Parameters.AddWithValue("$after", "SO100");
        }

        var plan = new List<string>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                plan.Add(reader.GetString(3));
            }
        }

        var step = Assert.Single(plan);
        Assert.StartsWith("SEARCH record_failures USING PRIMARY KEY (job_name=?", step, StringComparison.Ordinal);
        Assert.Contains(after ? "record_id>?" : "job_name=?)", step, StringComparison.Ordinal);
        Assert.DoesNotContain(plan, p => p.Contains("TEMP B-TREE", StringComparison.Ordinal));
    }
}
