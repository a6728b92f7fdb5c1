using Commerce.Jobs.History;
using Commerce.Jobs.Testing;

namespace Commerce.Jobs.Tests.History;

public sealed class InMemoryJobStoreTests : JobStoreContractTests
{
    protected override Task<IJobStore> CreateStoreAsync() => Task.FromResult<IJobStore>(new InMemoryJobStore());
}
