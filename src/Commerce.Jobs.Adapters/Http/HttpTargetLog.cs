using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Adapters;

/// <summary>The HTTP target's log messages: target name, status, counts and timings, never the address, headers or secret.</summary>
internal static partial class HttpTargetLog
{
    [LoggerMessage(1001, LogLevel.Debug, "HTTP target {Target} answered {Status} for {Records} records in {ElapsedMs} ms")]
    public static partial void Answered(ILogger logger, string target, int status, int records, double elapsedMs);

    [LoggerMessage(1002, LogLevel.Warning, "HTTP target {Target} failed for {Records} records: {Error}")]
    public static partial void Failed(ILogger logger, string target, int records, string error);
}
