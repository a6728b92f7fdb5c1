using System.Text.Json;

namespace Commerce.Jobs.Adapters;

/// <summary>Settings of a file / spreadsheet export target: one file per batch in a folder.</summary>
/// <remarks>Registered as named options (the target's name) and validated at start-up and when the target is created.</remarks>
public sealed class FileExportOptions
{
    /// <summary>Gets or sets the folder the files go to; a relative path is resolved against the current directory when the target is created.</summary>
    /// <value>Required; there is no default.</value>
    public string? Folder { get; set; }

    /// <summary>Gets or sets the file format.</summary>
    /// <value>The default value is <see cref="FileExportFormat.JsonLines"/>.</value>
    public FileExportFormat Format { get; set; } = FileExportDefaults.Format;

    /// <summary>Gets or sets a value indicating whether a missing folder is created; otherwise a missing folder fails each batch permanently.</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool CreateFolder { get; set; } = FileExportDefaults.CreateFolder;

    /// <summary>Gets or sets the CSV field separator (';' for spreadsheets in locales whose decimal separator is a comma).</summary>
    /// <value>The default value is ','.</value>
    public char CsvDelimiter { get; set; } = FileExportDefaults.CsvDelimiter;

    /// <summary>Gets or sets the options that serialize records to JSON Lines, and nested values of CSV cells.</summary>
    /// <value>The default value is <see langword="null"/>: <see cref="JsonSerializerOptions.Web"/> (camelCase names). Indentation is never applied.</value>
    public JsonSerializerOptions? JsonSerializerOptions { get; set; }
}
