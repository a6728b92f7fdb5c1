namespace Commerce.Jobs.Adapters;

/// <summary>The format of the files a file export target writes.</summary>
public enum FileExportFormat
{
    /// <summary>JSON Lines (<c>.jsonl</c>): one JSON object per line, UTF-8.</summary>
    JsonLines,

    /// <summary>CSV (<c>.csv</c>, RFC 4180): a header row of the record type's public properties, then one row per record; UTF-8, CRLF line ends.</summary>
    Csv,
}
