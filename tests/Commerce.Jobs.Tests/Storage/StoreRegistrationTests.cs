using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Tests.Storage;

public sealed class StoreRegistrationTests
{
    [Fact]
    public void The_default_store_serves_every_role_as_one_instance()
    {
        using var services = new ServiceCollection().AddCommerceJobs(_ => { }).BuildServiceProvider();

        var store = services.GetRequiredService<IJobStore>();

        Assert.IsType<InMemoryJobStore>(store);
        AssertEveryRoleIs(store, services);
    }

    [Fact]
    public void UseStore_puts_one_store_in_place_for_every_role_whenever_it_is_called()
    {
        var mine = new InMemoryJobStore();
        using var factory = new ServiceCollection().AddCommerceJobs(jobs => jobs.UseStore(_ => mine)).BuildServiceProvider();
        var collection = new ServiceCollection();
        collection.AddCommerceJobs(_ => { });
        collection.AddCommerceJobs(jobs => jobs.UseStore<InMemoryJobStore>());
        using var typed = collection.BuildServiceProvider();

        Assert.Same(mine, factory.GetRequiredService<IJobStore>());
        AssertEveryRoleIs(mine, factory);
        AssertEveryRoleIs(typed.GetRequiredService<IJobStore>(), typed);
    }

    private static void AssertEveryRoleIs(IJobStore store, IServiceProvider services)
    {
        Assert.Same(store, services.GetRequiredService<IRunHistoryStore>());
        Assert.Same(store, services.GetRequiredService<IRecordStore>());
        Assert.Same(store, services.GetRequiredService<IScheduleStore>());
        Assert.Same(store, services.GetRequiredService<IEntitySyncStore>());
        Assert.Same(store, services.GetRequiredService<IOperatorStateStore>());
        Assert.Same(store, services.GetRequiredService<IOperatorChangeLog>());
    }
}
