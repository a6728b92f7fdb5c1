using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;

namespace Commerce.Jobs.Tests.History;

public sealed class InMemoryOperatorStateStoreTests : OperatorStateStoreContractTests
{
    protected override Task<IOperatorStateStore> CreateStoreAsync() => Task.FromResult<IOperatorStateStore>(new InMemoryJobStore());
}
