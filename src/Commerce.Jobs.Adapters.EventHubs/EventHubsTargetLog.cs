using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Adapters.EventHubs;

/// <summary>The Event Hubs target's log messages: target, event hub, counts and timings, never the connection string.</summary>
internal static partial class EventHubsTargetLog
{
    [LoggerMessage(1401, LogLevel.Debug, "Event Hubs target {Target} delivered {Records} records to event hub {EventHub} in {ElapsedMs} ms")]
    public static partial void Delivered(ILogger logger, string target, int records, string eventHub, double elapsedMs);

    [LoggerMessage(1402, LogLevel.Warning, "Event Hubs target {Target}: {Failed} of {Records} records were not delivered to event hub {EventHub}; first error: {Error}")]
    public static partial void Failed(ILogger logger, string target, int failed, int records, string eventHub, string error);

    [LoggerMessage(1403, LogLevel.Trace, "Event Hubs target {Target} sent a batch of {Events} events to event hub {EventHub} in {ElapsedMs} ms")]
    public static partial void Sent(ILogger logger, string target, int events, string eventHub, double elapsedMs);
}
