using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>The audit-trail contract, unchanged, against a fresh database file per store.</summary>
public sealed class SqliteOperatorChangeLogTests : OperatorChangeLogContractTests, IDisposable
{
    private readonly List<(TempDatabase Database, SqliteJobStore Store)> _stores = [];

    protected override Task<IOperatorChangeLog> CreateStoreAsync()
    {
        var database = new TempDatabase();
        var store = database.Open();
        _stores.Add((database, store));
        return Task.FromResult<IOperatorChangeLog>(store);
    }

    public void Dispose()
    {
        foreach (var (database, store) in _stores)
        {
            store.Dispose();
            database.Dispose();
        }
    }
}
