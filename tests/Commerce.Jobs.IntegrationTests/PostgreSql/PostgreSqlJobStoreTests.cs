using System.Globalization;
using Commerce.Jobs.Adapters.PostgreSql;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;

namespace Commerce.Jobs.IntegrationTests.PostgreSql;

/// <summary>
/// Every role's contract suite and the operator-state part of the whole store's against a real PostgreSQL: a fresh schema
/// per store, in one database per test class.
/// </summary>
public static class PostgreSqlJobStoreTests
{
    [Collection(PostgreSqlCollection.Name)]
    public sealed class RunHistory(PostgreSqlServer server) : RunHistoryStoreContractTests, IAsyncLifetime
    {
        private readonly Schemas _schemas = new(server);

        public Task InitializeAsync() => _schemas.InitializeAsync();

        public Task DisposeAsync() => _schemas.DisposeAsync();

        protected override Task<IRunHistoryStore> CreateStoreAsync() => Task.FromResult<IRunHistoryStore>(_schemas.Open());
    }

    [Collection(PostgreSqlCollection.Name)]
    public sealed class Records(PostgreSqlServer server) : RecordStoreContractTests, IAsyncLifetime
    {
        private readonly Schemas _schemas = new(server);

        public Task InitializeAsync() => _schemas.InitializeAsync();

        public Task DisposeAsync() => _schemas.DisposeAsync();

        protected override Task<IRecordStore> CreateStoreAsync() => Task.FromResult<IRecordStore>(_schemas.Open());
    }

    [Collection(PostgreSqlCollection.Name)]
    public sealed class Schedule(PostgreSqlServer server) : ScheduleStoreContractTests, IAsyncLifetime
    {
        private readonly Schemas _schemas = new(server);

        public Task InitializeAsync() => _schemas.InitializeAsync();

        public Task DisposeAsync() => _schemas.DisposeAsync();

        protected override Task<IScheduleStore> CreateStoreAsync() => Task.FromResult<IScheduleStore>(_schemas.Open());
    }

    [Collection(PostgreSqlCollection.Name)]
    public sealed class EntitySync(PostgreSqlServer server) : EntitySyncStoreContractTests, IAsyncLifetime
    {
        private readonly Schemas _schemas = new(server);

        public Task InitializeAsync() => _schemas.InitializeAsync();

        public Task DisposeAsync() => _schemas.DisposeAsync();

        protected override Task<IEntitySyncStore> CreateStoreAsync() => Task.FromResult<IEntitySyncStore>(_schemas.Open());

        protected override Task<IEntitySyncStore?> ReopenStoreAsync(IEntitySyncStore store) => Task.FromResult<IEntitySyncStore?>(_schemas.Reopen(store));
    }

    /// <summary>A test class's database, and the stores it opened there, each in a fresh schema.</summary>
    private sealed class Schemas(PostgreSqlServer server)
    {
        private static int s_schemas;
        private readonly List<PostgreSqlJobStore> _stores = [];
        private readonly Dictionary<object, string> _schemaOf = new(ReferenceEqualityComparer.Instance);
        private string _connectionString = string.Empty;

        public async Task InitializeAsync() => _connectionString = await server.CreateDatabaseAsync("contract");

        public async Task DisposeAsync()
        {
            foreach (var store in _stores)
            {
                await store.DisposeAsync();
            }
        }

        public PostgreSqlJobStore Open() => Open("contract_" + Interlocked.Increment(ref s_schemas).ToString(CultureInfo.InvariantCulture));

        /// <summary>Opens another store on the schema of <paramref name="store"/> (a restarted host).</summary>
        public PostgreSqlJobStore Reopen(object store) => Open(_schemaOf[store]);

        private PostgreSqlJobStore Open(string schema)
        {
            var store = new PostgreSqlJobStore(new PostgreSqlStoreOptions { ConnectionString = _connectionString, Schema = schema });
            _stores.Add(store);
            _schemaOf[store] = schema;
            return store;
        }
    }
}
