using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters;

/// <summary>Checks an HTTP target's settings; every message names the target and the setting, and none repeats the secret.</summary>
internal sealed class HttpTargetOptionsValidator : IValidateOptions<HttpTargetOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpTargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (options.Endpoint is not { } endpoint)
        {
            errors.Add($"HTTP target '{name}': Endpoint is required.");
        }
        else if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            // The address is not repeated: its query may carry an API key.
            errors.Add($"HTTP target '{name}': Endpoint must be an absolute http or https URI.");
        }

        if (options.SigningSecret is { } secret && (string.IsNullOrWhiteSpace(secret) || secret.Length < HttpTargetDefaults.MinSecretLength))
        {
            errors.Add($"HTTP target '{name}': SigningSecret must be at least {HttpTargetDefaults.MinSecretLength} characters (leave it null to send unsigned requests).");
        }

        if (!Enum.IsDefined(options.Mode))
        {
            errors.Add($"HTTP target '{name}': Mode must be Batch, PerRecord or Documents (was {(int)options.Mode}).");
        }

        if (options.ApiKey is { } key && string.IsNullOrWhiteSpace(key))
        {
            errors.Add($"HTTP target '{name}': ApiKey must not be blank (leave it null to send no key).");
        }

        if (string.IsNullOrWhiteSpace(options.ApiKeyHeader))
        {
            errors.Add($"HTTP target '{name}': ApiKeyHeader must not be empty.");
        }

        if (options.Timeout <= TimeSpan.Zero || options.Timeout > HttpTargetDefaults.MaxTimeout)
        {
            errors.Add($"HTTP target '{name}': Timeout must be between 00:00:00.001 and {HttpTargetDefaults.MaxTimeout} (was {options.Timeout}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
