using System.Text;
using Confluent.Kafka;

namespace Commerce.Jobs.IntegrationTests.Adapters.Kafka;

/// <summary>
/// librdkafka's built-in mock cluster (<c>test.mock.num.brokers</c>): a Kafka protocol broker on 127.0.0.1 that lives as
/// long as the client that created it. The targets under test connect to it by its address like to any broker.
/// </summary>
public sealed class KafkaMockCluster : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(1);
    private readonly IProducer<Null, Null> _owner;
    private readonly IAdminClient _admin;

    public KafkaMockCluster()
    {
        var config = new ProducerConfig();
        config.Set("test.mock.num.brokers", "1");
        _owner = new ProducerBuilder<Null, Null>(config).SetLogHandler((_, _) => { }).Build();
        _admin = new DependentAdminClientBuilder(_owner.Handle).Build();
        var broker = _admin.GetMetadata(Bound).Brokers.Single();
        BootstrapServers = $"{broker.Host}:{broker.Port}";
    }

    /// <summary>Gets the mock broker's address, <c>127.0.0.1:port</c>.</summary>
    public string BootstrapServers { get; }

    /// <summary>Reads every message of <paramref name="topic"/> (none when it does not exist), partition by partition, in offset order.</summary>
    public IReadOnlyList<ConsumeResult<string, byte[]>> ReadAll(string topic)
    {
        var metadata = _admin.GetMetadata(topic, Bound).Topics.SingleOrDefault(t => t.Topic == topic);
        if (metadata is null || metadata.Error.IsError || metadata.Partitions.Count == 0)
        {
            return [];
        }

        using var consumer = new ConsumerBuilder<string, byte[]>(new ConsumerConfig
        {
            BootstrapServers = BootstrapServers,
            GroupId = "reader-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            AllowAutoCreateTopics = false,
        }).SetLogHandler((_, _) => { }).Build();
        var ends = new Dictionary<TopicPartition, long>();
        foreach (var partition in metadata.Partitions)
        {
            var tp = new TopicPartition(topic, partition.PartitionId);
            var high = consumer.QueryWatermarkOffsets(tp, Bound).High.Value;
            if (high > 0)
            {
                ends[tp] = high;
            }
        }

        var messages = new List<ConsumeResult<string, byte[]>>();
        if (ends.Count == 0)
        {
            return messages;
        }

        consumer.Assign(ends.Keys.Select(tp => new TopicPartitionOffset(tp, Offset.Beginning)));
        var remaining = ends.Values.Sum();
        var deadline = DateTime.UtcNow + Bound;
        while (remaining > 0)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Read {messages.Count} messages of topic {topic}; {remaining} more were expected within {Bound}.");
            }

            if (consumer.Consume(left) is { IsPartitionEOF: false, Message: not null } result)
            {
                messages.Add(result);
                remaining--;
            }
        }

        return messages;
    }

    public static string Header(ConsumeResult<string, byte[]> message, string name) =>
        message.Message.Headers.TryGetLastBytes(name, out var value) ? Encoding.UTF8.GetString(value) : throw new KeyNotFoundException($"No header '{name}'.");

    public void Dispose()
    {
        _admin.Dispose();
        _owner.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class KafkaCollection : ICollectionFixture<KafkaMockCluster>
{
    public const string Name = "Kafka mock cluster";
}
