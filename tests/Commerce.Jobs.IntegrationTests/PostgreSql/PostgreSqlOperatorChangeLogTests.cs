using System.Globalization;
using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>The audit-trail contract against a real PostgreSQL: a fresh schema per store, in one database per test class.</summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlOperatorChangeLogTests(PostgreSqlServer server) : OperatorChangeLogContractTests, IAsyncLifetime
{
    private static int s_schemas;
    private readonly List<PostgreSqlJobStore> _stores = [];
    private string _connectionString = string.Empty;

    public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("opchanges");

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }
    }

    protected override Task<IOperatorChangeLog> CreateStoreAsync()
    {
        var store = new PostgreSqlJobStore(new PostgreSqlStoreOptions
        {
            ConnectionString = _connectionString,
            Schema = "opchanges_" + Interlocked.Increment(ref s_schemas).ToString(CultureInfo.InvariantCulture),
        });
        _stores.Add(store);
        return Task.FromResult<IOperatorChangeLog>(store);
    }
}
