namespace Commerce.Jobs.Adapters;

/// <summary>The defaults of <see cref="FileExportOptions"/>, in one place.</summary>
internal static class FileExportDefaults
{
    public const FileExportFormat Format = FileExportFormat.JsonLines;

    public const bool CreateFolder = false;

    public const char CsvDelimiter = ',';
}
