using Commerce.Jobs.Adapters.Kafka;
using Commerce.Jobs.Adapters.Tests.Targets;
using Microsoft.Extensions.Logging.Abstractions;

namespace Commerce.Jobs.IntegrationTests.Adapters.Kafka;

/// <summary>The contract suite against librdkafka's mock cluster: each message read back, keyed by its idempotency-key header.</summary>
[Collection(KafkaCollection.Name)]
public sealed class KafkaTargetContractTests(KafkaMockCluster cluster) : DeliveryTargetContractTests, IDisposable
{
    private readonly string _topic = "orders-" + Guid.NewGuid().ToString("N");
    private readonly List<KafkaTarget> _targets = [];

    protected override string TargetName => "events";

    protected override IDeliveryTarget CreateSut()
    {
        var target = new KafkaTarget(
            TargetName,
            new KafkaTargetOptions { BootstrapServers = cluster.BootstrapServers, Topic = _topic, DeliveryTimeout = TimeSpan.FromMinutes(1) },
            TimeProvider.System,
            NullLogger.Instance);
        _targets.Add(target);
        return target;
    }

    protected override Task<IReadOnlyList<DeliveredRecord>> ReadDeliveredAsync() => Task.FromResult<IReadOnlyList<DeliveredRecord>>(
        cluster.ReadAll(_topic).Select(m => new DeliveredRecord(m.Message.Key, KafkaMockCluster.Header(m, "idempotency-key"))).ToList());

    public void Dispose()
    {
        foreach (var target in _targets)
        {
            target.Dispose();
        }
    }
}
