using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters;

/// <summary>Checks a file export target's settings; every message names the target and the setting.</summary>
internal sealed class FileExportOptionsValidator : IValidateOptions<FileExportOptions>
{
    public ValidateOptionsResult Validate(string? name, FileExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Folder))
        {
            errors.Add($"File export target '{name}': Folder is required.");
        }
        else if (options.Folder.AsSpan().IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            errors.Add($"File export target '{name}': Folder '{options.Folder}' contains characters that are not valid in a path.");
        }

        if (!Enum.IsDefined(options.Format))
        {
            errors.Add($"File export target '{name}': Format must be JsonLines or Csv (was {(int)options.Format}).");
        }

        if (options.CsvDelimiter is '"' or '\r' or '\n' || (char.IsControl(options.CsvDelimiter) && options.CsvDelimiter != '\t'))
        {
            errors.Add($"File export target '{name}': CsvDelimiter must not be a quote, a line break or a control character other than tab (was U+{(int)options.CsvDelimiter:X4}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
