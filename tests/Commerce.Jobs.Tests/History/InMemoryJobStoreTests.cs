using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;

namespace Commerce.Jobs.Tests.History;

/// <summary>The in-memory store against every role's contract suite and the operator-state part of the whole store's.</summary>
public static class InMemoryJobStoreTests
{
    public sealed class RunHistory : RunHistoryStoreContractTests
    {
        protected override Task<IRunHistoryStore> CreateStoreAsync() => Task.FromResult<IRunHistoryStore>(new InMemoryJobStore());
    }

    public sealed class Records : RecordStoreContractTests
    {
        protected override Task<IRecordStore> CreateStoreAsync() => Task.FromResult<IRecordStore>(new InMemoryJobStore());

        [Fact]
        public async Task Failure_pages_are_in_ordinal_order_of_ids()
        {
            var store = new InMemoryJobStore();
            var ids = StoreTestData.HostileIds.Concat(["a", "B", "é", "😀", "\uFFFF", "\uE001", "\0\0"]).ToList();
            await store.AddRecordFailuresAsync("order-submit", [.. ids.Select(id => new RecordFailure(id, RecordStatus.Skipped, null, 0, StoreTestData.T0))], default);

            var read = await store.ReadAllRecordFailuresAsync("order-submit", pageSize: 3);

            Assert.Equal(ids.Order(StringComparer.Ordinal), read.Select(f => f.RecordId));
        }
    }

    public sealed class Schedule : ScheduleStoreContractTests
    {
        protected override Task<IScheduleStore> CreateStoreAsync() => Task.FromResult<IScheduleStore>(new InMemoryJobStore());
    }

    public sealed class EntitySync : EntitySyncStoreContractTests
    {
        protected override Task<IEntitySyncStore> CreateStoreAsync() => Task.FromResult<IEntitySyncStore>(new InMemoryJobStore());
    }
}
