namespace Commerce.Jobs.Adapters.AzureBlob;

/// <summary>The defaults and limits of <see cref="AzureBlobTargetOptions"/>, in one place.</summary>
internal static class AzureBlobTargetDefaults
{
    public const bool CreateContainer = false;

    /// <summary>The content type of every blob: JSON Lines.</summary>
    public const string ContentType = "application/x-ndjson";

    /// <summary>The longest blob prefix accepted, in characters (a blob name has at most 1024).</summary>
    public const int MaxPrefixLength = 512;

    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(100);

    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(1);
}
