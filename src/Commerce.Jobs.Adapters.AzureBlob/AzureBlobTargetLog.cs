using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Adapters.AzureBlob;

/// <summary>The Azure Blob target's log messages: target, container, blob name, counts and timings, never the connection string.</summary>
internal static partial class AzureBlobTargetLog
{
    [LoggerMessage(1201, LogLevel.Debug, "Azure Blob target {Target} uploaded {Records} records to {Container}/{Blob} in {ElapsedMs} ms")]
    public static partial void Uploaded(ILogger logger, string target, int records, string container, string blob, double elapsedMs);

    [LoggerMessage(1202, LogLevel.Information, "Azure Blob target {Target} created the container {Container}")]
    public static partial void ContainerCreated(ILogger logger, string target, string container);

    [LoggerMessage(1203, LogLevel.Warning, "Azure Blob target {Target} failed for {Records} records: {Error}")]
    public static partial void Failed(ILogger logger, string target, int records, string error);
}
