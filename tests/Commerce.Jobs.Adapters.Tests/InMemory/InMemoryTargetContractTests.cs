using Commerce.Jobs.Adapters.Tests.Targets;
using Commerce.Jobs.Adapters.Tests.TestSupport;

namespace Commerce.Jobs.Adapters.Tests.InMemory;

public sealed class InMemoryTargetContractTests : DeliveryTargetContractTests
{
    private readonly InMemoryTarget _target = new("memory");

    protected override string TargetName => "memory";

    protected override IDeliveryTarget CreateSut() => _target;

    protected override Task<IReadOnlyList<DeliveredRecord>> ReadDeliveredAsync() =>
        Task.FromResult<IReadOnlyList<DeliveredRecord>>(_target.Records.Select(r => new DeliveredRecord(Batches.IdOf(r.Value), r.Key)).ToList());
}
