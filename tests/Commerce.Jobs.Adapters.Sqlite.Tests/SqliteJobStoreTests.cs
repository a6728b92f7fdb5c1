using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;

namespace Commerce.Jobs.Adapters.Sqlite.Tests;

/// <summary>
/// Every role's contract suite and the operator-state part of the whole store's, unchanged, against a fresh database
/// file per store (a property test makes many).
/// </summary>
public static class SqliteJobStoreTests
{
    public sealed class RunHistory : RunHistoryStoreContractTests, IDisposable
    {
        private readonly Databases _databases = new();

        public void Dispose() => _databases.Dispose();

        protected override Task<IRunHistoryStore> CreateStoreAsync() => Task.FromResult<IRunHistoryStore>(_databases.Open());
    }

    public sealed class Records : RecordStoreContractTests, IDisposable
    {
        private readonly Databases _databases = new();

        public void Dispose() => _databases.Dispose();

        protected override Task<IRecordStore> CreateStoreAsync() => Task.FromResult<IRecordStore>(_databases.Open());
    }

    public sealed class Schedule : ScheduleStoreContractTests, IDisposable
    {
        private readonly Databases _databases = new();

        public void Dispose() => _databases.Dispose();

        protected override Task<IScheduleStore> CreateStoreAsync() => Task.FromResult<IScheduleStore>(_databases.Open());
    }

    public sealed class EntitySync : EntitySyncStoreContractTests, IDisposable
    {
        private readonly Databases _databases = new();

        public void Dispose() => _databases.Dispose();

        protected override Task<IEntitySyncStore> CreateStoreAsync() => Task.FromResult<IEntitySyncStore>(_databases.Open());

        protected override Task<IEntitySyncStore?> ReopenStoreAsync(IEntitySyncStore store) => Task.FromResult<IEntitySyncStore?>(_databases.Reopen(store));
    }

    /// <summary>The stores a test class opened, each on its own database file, all closed and deleted with it.</summary>
    private sealed class Databases : IDisposable
    {
        private readonly List<(TempDatabase Database, SqliteJobStore Store)> _stores = [];

        public SqliteJobStore Open()
        {
            var database = new TempDatabase();
            var store = database.Open();
            _stores.Add((database, store));
            return store;
        }

        /// <summary>Opens another store on the database of <paramref name="store"/> (a restarted host).</summary>
        public SqliteJobStore Reopen(object store)
        {
            var database = _stores.First(s => ReferenceEquals(s.Store, store)).Database;
            var reopened = database.Open();
            _stores.Add((database, reopened));
            return reopened;
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
}
