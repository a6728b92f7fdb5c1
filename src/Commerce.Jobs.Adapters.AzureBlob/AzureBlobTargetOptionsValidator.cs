using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters.AzureBlob;

/// <summary>Checks an Azure Blob target's settings; every message names the target and the setting, and none repeats the connection string.</summary>
internal sealed partial class AzureBlobTargetOptionsValidator : IValidateOptions<AzureBlobTargetOptions>
{
    public ValidateOptionsResult Validate(string? name, AzureBlobTargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var hasConnectionString = !string.IsNullOrWhiteSpace(options.ConnectionString);
        if (hasConnectionString == (options.ServiceUri is not null))
        {
            errors.Add($"Azure Blob target '{name}': set either ConnectionString or ServiceUri (with a Credential), not both and not neither.");
        }
        else if (options.ServiceUri is { } uri && (!uri.IsAbsoluteUri || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)))
        {
            // The address is not repeated: its query may carry a SAS.
            errors.Add($"Azure Blob target '{name}': ServiceUri must be an absolute http or https URI.");
        }

        if (string.IsNullOrWhiteSpace(options.Container))
        {
            errors.Add($"Azure Blob target '{name}': Container is required.");
        }
        else if (!ContainerName().IsMatch(options.Container))
        {
            errors.Add($"Azure Blob target '{name}': Container must be 3 to 63 lowercase letters, digits and single hyphens, starting and ending with a letter or a digit (was '{options.Container}').");
        }

        if (options.BlobPrefix is { } prefix
            && (prefix.Length > AzureBlobTargetDefaults.MaxPrefixLength || prefix.Trim('/').Length == 0 || prefix.AsSpan().IndexOfAny('\\', '\0') >= 0 || prefix.Contains("//", StringComparison.Ordinal) || prefix.Any(char.IsControl)))
        {
            errors.Add($"Azure Blob target '{name}': BlobPrefix must be a non-empty '/'-separated path of at most {AzureBlobTargetDefaults.MaxPrefixLength} characters without '\\', '//' or control characters (leave it null for none).");
        }

        if (options.Timeout <= TimeSpan.Zero || options.Timeout > AzureBlobTargetDefaults.MaxTimeout)
        {
            errors.Add($"Azure Blob target '{name}': Timeout must be between 00:00:00.001 and {AzureBlobTargetDefaults.MaxTimeout} (was {options.Timeout}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^(?=.{3,63}$)[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9]))*$", RegexOptions.CultureInvariant)]
    private static partial Regex ContainerName();
}
