using Commerce.Jobs.History;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Testing;

namespace Commerce.Jobs.Tests.History;

public sealed class InMemoryOperatorChangeLogTests : OperatorChangeLogContractTests
{
    protected override Task<IOperatorChangeLog> CreateStoreAsync() => Task.FromResult<IOperatorChangeLog>(new InMemoryJobStore());
}
