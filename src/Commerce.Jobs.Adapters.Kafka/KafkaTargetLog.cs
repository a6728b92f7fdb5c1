using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Adapters.Kafka;

/// <summary>The Kafka target's log messages: target, topic, counts and timings, never a producer setting's value.</summary>
internal static partial class KafkaTargetLog
{
    [LoggerMessage(1301, LogLevel.Debug, "Kafka target {Target} delivered {Delivered} of {Records} records to topic {Topic} in {ElapsedMs} ms")]
    public static partial void Delivered(ILogger logger, string target, int delivered, int records, string topic, double elapsedMs);

    [LoggerMessage(1302, LogLevel.Warning, "Kafka target {Target}: {Failed} of {Records} records were not delivered to topic {Topic}; first error: {Error}")]
    public static partial void Failed(ILogger logger, string target, int failed, int records, string topic, string error);

    [LoggerMessage(1303, LogLevel.Warning, "Kafka target {Target}: producer error {Code} (fatal: {Fatal}): {Reason}")]
    public static partial void ProducerError(ILogger logger, string target, string code, bool fatal, string reason);

    [LoggerMessage(1304, LogLevel.Warning, "Kafka target {Target}: the producer hit a fatal error and is replaced by a new one")]
    public static partial void ProducerReplaced(ILogger logger, string target);

    [LoggerMessage(1305, LogLevel.Debug, "Kafka target {Target}: librdkafka {Facility}: {Message}")]
    public static partial void Client(ILogger logger, string target, string facility, string message);

    [LoggerMessage(1306, LogLevel.Warning, "Kafka target {Target}: librdkafka {Facility}: {Message}")]
    public static partial void ClientWarning(ILogger logger, string target, string facility, string message);
}
