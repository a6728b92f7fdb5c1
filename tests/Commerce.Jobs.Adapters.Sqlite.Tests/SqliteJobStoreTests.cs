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

        // Another store on the same file while the first is open (another process sharing it): leases are kept.
        protected override Task<IEntitySyncStore?> ReopenStoreAsync(IEntitySyncStore store) =>
            Task.FromResult<IEntitySyncStore?>(_databases.Reopen((SqliteJobStore)store, o => o.ReleaseLeasesOnOpen = false));
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

        /// <summary>Opens one more store on the file of <paramref name="store"/>, closed with the others.</summary>
        public SqliteJobStore Reopen(SqliteJobStore store, Action<SqliteStoreOptions> configure)
        {
            var database = _stores.Single(s => s.Store == store).Database;
            var reopened = database.Open(configure);
            _stores.Add((database, reopened));
            return reopened;
        }

        public void Dispose()
        {
            foreach (var (_, store) in _stores)
            {
                store.Dispose();
            }

            foreach (var database in _stores.Select(s => s.Database).Distinct())
            {
                database.Dispose();
            }
        }
    }
}
