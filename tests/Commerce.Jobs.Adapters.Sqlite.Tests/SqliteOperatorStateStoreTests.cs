using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>The operator-state contract, unchanged, against a fresh database file per store.</summary>
public sealed class SqliteOperatorStateStoreTests : OperatorStateStoreContractTests, IDisposable
{
    private readonly List<(TempDatabase Database, SqliteJobStore Store)> _stores = [];

    protected override Task<IOperatorStateStore> CreateStoreAsync()
    {
        var database = new TempDatabase();
        var store = database.Open();
        _stores.Add((database, store));
        return Task.FromResult<IOperatorStateStore>(store);
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
