using System.Text.Json;
using Commerce.Jobs.Adapters.EventHubs.Tests.TestSupport;
using Commerce.Jobs.Adapters.Tests.Targets;
using Microsoft.Extensions.Logging.Abstractions;

namespace Commerce.Jobs.Adapters.EventHubs.Tests;

/// <summary>The contract suite through the fake producer: each event read back by its body's id and its idempotency-key property.</summary>
public sealed class EventHubsTargetContractTests : DeliveryTargetContractTests
{
    private readonly FakeProducer _producer = new();

    protected override string TargetName => "events";

    protected override IDeliveryTarget CreateSut() => new EventHubsTarget(
        TargetName,
        new EventHubsTargetOptions { ConnectionString = EventHubsTargetTests.ConnectionString, EventHubName = "orders" },
        _producer,
        TimeProvider.System,
        NullLogger.Instance);

    protected override Task<IReadOnlyList<DeliveredRecord>> ReadDeliveredAsync() => Task.FromResult<IReadOnlyList<DeliveredRecord>>(
        _producer.SentEvents.Select(e => new DeliveredRecord(
            JsonSerializer.Deserialize<JsonElement>(e.EventBody.ToMemory().Span).GetProperty("id").GetString()!,
            (string)e.Properties["idempotency-key"])).ToList());
}
