using Confluent.Kafka;

namespace Commerce.Jobs.Adapters.Kafka;

/// <summary>Mapping delivery reports' errors to record outcomes.</summary>
internal sealed partial class KafkaTarget
{
    /// <summary>Maps a delivery error: the errors no retry can fix are permanent, every other one transient.</summary>
    private RecordOutcome Outcome(Error error, string recordId)
    {
        if (error.IsFatal)
        {
            _fatal = true;
        }

        var text = $"Kafka target '{Name}': record '{recordId}' was not delivered to topic '{_topic}': {error.Code} {error.Reason}".TrimEnd();
        return IsPermanent(error.Code) ? RecordOutcome.Permanent(text) : RecordOutcome.Transient(text);
    }

    /// <summary>Whether an error comes from the message or the topic itself, so that sending it again cannot succeed.</summary>
    internal static bool IsPermanent(ErrorCode code) => code is
        ErrorCode.MsgSizeTooLarge or ErrorCode.InvalidMsgSize or ErrorCode.RecordListTooLarge
        or ErrorCode.InvalidRecord or ErrorCode.InvalidMsg or ErrorCode.Local_BadMsg
        or ErrorCode.TopicException or ErrorCode.Local_UnknownTopic or ErrorCode.Local_UnknownPartition
        or ErrorCode.TopicAuthorizationFailed or ErrorCode.ClusterAuthorizationFailed or ErrorCode.PolicyViolation
        or ErrorCode.UnsupportedForMessageFormat or ErrorCode.InvalidRequiredAcks or ErrorCode.InvalidTimestamp
        or ErrorCode.Local_KeySerialization or ErrorCode.Local_ValueSerialization or ErrorCode.Local_InvalidArg;
}
