using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Adapters;

/// <summary>The file export target's and cleanup job's log messages.</summary>
internal static partial class FileExportLog
{
    [LoggerMessage(1101, LogLevel.Debug, "File export target {Target} wrote {Records} records to {File}")]
    public static partial void Written(ILogger logger, string target, int records, string file);

    [LoggerMessage(1102, LogLevel.Information, "File export target {Target}: the batch of {Records} records was exported already as {File}; not written again")]
    public static partial void AlreadyExported(ILogger logger, string target, int records, string file);

    [LoggerMessage(1103, LogLevel.Warning, "File export target {Target} failed for {Records} records: {Error}")]
    public static partial void Failed(ILogger logger, string target, int records, string error);
}
