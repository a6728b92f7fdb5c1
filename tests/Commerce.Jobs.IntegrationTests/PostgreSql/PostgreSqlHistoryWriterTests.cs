using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.Storage;
using Npgsql;

using static Commerce.Jobs.Testing.StoreTestData;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>A history purge commits in its own transaction after the runs it waited with: its failure fails no run.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlHistoryWriterTests(PostgreSqlServer server) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("history_writer");

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_failing_purge_fails_only_its_caller_and_the_runs_of_its_group_are_stored()
    {
        const string Schema = "history_purge";
        await using var store = new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = Schema });
        await store.AddRunAsync(Run("catalog-export", T0, JobOutcome.Succeeded), default);
        await using var other = new NpgsqlConnection(_connectionString);
        await other.OpenAsync();

        // A real failure of the purge's DELETE (as a deadlock with another host's purge or a statement timeout would be).
        await ExecuteAsync(other, $"""
            CREATE FUNCTION {Schema}.fail_purge() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'purge failed'; END $$;
            CREATE TRIGGER fail_purge BEFORE DELETE ON {Schema}.runs FOR EACH ROW WHEN (OLD.job_name = 'catalog-export')
                EXECUTE FUNCTION {Schema}.fail_purge();
            """);
        var runs = Enumerable.Range(0, 40).Select(i => Run("order-submit", T0.AddSeconds(i), JobOutcome.Succeeded)).ToArray();
        Task[] adds;
        Task<int> purge;
        await using (var lockHolder = await other.BeginTransactionAsync())
        {
            // Another connection blocks writes to the history while the runs and the purge queue together.
            await ExecuteAsync(other, $"LOCK TABLE {Schema}.runs IN SHARE MODE;");
            var before = runs[..20].Select(run => store.AddRunAsync(run, default).AsTask()).ToArray();
            purge = store.PurgeRunsAsync("catalog-export", 0, T0.AddDays(1), default).AsTask();
            adds = [.. before, .. runs[20..].Select(run => store.AddRunAsync(run, default).AsTask())];
            await lockHolder.CommitAsync();
        }

        await Task.WhenAll(adds).WaitAsync(Patience);
        Assert.Contains("purge failed", (await Assert.ThrowsAsync<PostgresException>(() => purge).WaitAsync(Patience)).MessageText, StringComparison.Ordinal);
        Assert.Equal(runs.Select(r => r.RunId).Reverse(), (await store.GetRunsAsync("order-submit", 1_000, default)).Select(r => r.RunId));
        Assert.Single(await store.GetRunsAsync("catalog-export", 1_000, default));
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
