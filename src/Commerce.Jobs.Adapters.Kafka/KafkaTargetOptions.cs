using System.Text.Json;

namespace Commerce.Jobs.Adapters.Kafka;

/// <summary>Settings of a Kafka target: the cluster, the topic and the producer's delivery timeout.</summary>
/// <remarks>
/// Registered as named options (the target's name), so they can also be bound from configuration with
/// <c>services.Configure&lt;KafkaTargetOptions&gt;("events", section)</c>; they are validated at start-up and when the
/// target is created. The producer is always idempotent (<c>enable.idempotence=true</c>, <c>acks=all</c>).
/// </remarks>
public sealed class KafkaTargetOptions
{
    /// <summary>Gets or sets the brokers to connect to first, as <c>host:port[,host:port…]</c>.</summary>
    /// <value>Required; there is no default.</value>
    public string? BootstrapServers { get; set; }

    /// <summary>Gets or sets the topic every record goes to: at most 249 letters, digits, '.', '_' and '-', not <c>.</c> or <c>..</c>.</summary>
    /// <value>Required; there is no default.</value>
    public string? Topic { get; set; }

    /// <summary>
    /// Gets or sets how long the producer may try to deliver one message (<c>message.timeout.ms</c>), its own retries
    /// included, before the record counts as a transient failure. A batch waits at most this long (plus a few seconds) for its reports.
    /// </summary>
    /// <value>The default value is 30 seconds; between 1 millisecond and 1 day.</value>
    public TimeSpan DeliveryTimeout { get; set; } = KafkaTargetDefaults.DeliveryTimeout;

    /// <summary>
    /// Gets further librdkafka producer settings by name: <c>security.protocol</c>, <c>sasl.mechanism</c>,
    /// <c>sasl.username</c>, <c>sasl.password</c>, <c>ssl.ca.location</c>, <c>compression.type</c>, <c>linger.ms</c>, <c>client.id</c>….
    /// Their values never appear in logs or errors.
    /// </summary>
    /// <value>
    /// Empty by default. <c>bootstrap.servers</c>, <c>enable.idempotence</c>, <c>acks</c>, <c>message.timeout.ms</c>,
    /// <c>delivery.timeout.ms</c> and <c>transactional.id</c> cannot be set here.
    /// </value>
    public IDictionary<string, string> ProducerSettings { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets or sets the options that serialize message values (a source-generated context goes in its <c>TypeInfoResolver</c>).</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="JsonSerializerOptions.Web"/> (camelCase names).</value>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }
}
