using Commerce.Jobs.Testing;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>The whole store contract, unchanged, against a fresh database file per store (a property test makes many).</summary>
public sealed class SqliteJobStoreTests : JobStoreContractTests, IDisposable
{
    private readonly List<(TempDatabase Database, SqliteJobStore Store)> _stores = [];

    protected override Task<IJobStore> CreateStoreAsync()
    {
        var database = new TempDatabase();
        var store = database.Open();
        _stores.Add((database, store));
        return Task.FromResult<IJobStore>(store);
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
