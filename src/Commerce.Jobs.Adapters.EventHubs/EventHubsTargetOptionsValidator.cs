using System.Text.RegularExpressions;
using Azure.Messaging.EventHubs;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters.EventHubs;

/// <summary>Checks an Event Hubs target's settings; every message names the target and the setting, and none repeats the connection string.</summary>
internal sealed partial class EventHubsTargetOptionsValidator : IValidateOptions<EventHubsTargetOptions>
{
    public ValidateOptionsResult Validate(string? name, EventHubsTargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        var hasConnectionString = !string.IsNullOrWhiteSpace(options.ConnectionString);
        var hasNamespace = !string.IsNullOrWhiteSpace(options.FullyQualifiedNamespace);
        if (hasConnectionString == hasNamespace)
        {
            errors.Add($"Event Hubs target '{name}': set either ConnectionString or FullyQualifiedNamespace (with a Credential), not both and not neither.");
        }
        else if (hasNamespace)
        {
            if (Uri.CheckHostName(options.FullyQualifiedNamespace) != UriHostNameType.Dns)
            {
                errors.Add($"Event Hubs target '{name}': FullyQualifiedNamespace must be a host name such as 'my-namespace.servicebus.windows.net', without a scheme or a path (was '{IdempotencyKey.Encode(options.FullyQualifiedNamespace!)}').");
            }

            if (options.Credential is null)
            {
                errors.Add($"Event Hubs target '{name}': Credential is required with FullyQualifiedNamespace.");
            }
        }
        else
        {
            if (!IsWellFormed(options.ConnectionString!))
            {
                errors.Add($"Event Hubs target '{name}': ConnectionString is not a valid Event Hubs connection string (it needs an Endpoint, and a SharedAccessKeyName with a SharedAccessKey or a SharedAccessSignature).");
            }

            if (options.Credential is not null)
            {
                errors.Add($"Event Hubs target '{name}': Credential is used only with FullyQualifiedNamespace; a connection string carries its own key.");
            }
        }

        var entityPath = hasConnectionString ? EntityPathOf(options.ConnectionString!) : null;
        if (string.IsNullOrWhiteSpace(options.EventHubName))
        {
            if (entityPath is null && (hasConnectionString || hasNamespace))
            {
                errors.Add($"Event Hubs target '{name}': EventHubName is required (or an EntityPath in the connection string).");
            }
        }
        else if (options.EventHubName.Length > EventHubsTargetDefaults.MaxEventHubNameLength || !EventHubName().IsMatch(options.EventHubName))
        {
            errors.Add($"Event Hubs target '{name}': EventHubName must be 1 to {EventHubsTargetDefaults.MaxEventHubNameLength} letters, digits, '.', '_' and '-', starting and ending with a letter or a digit (was '{IdempotencyKey.Encode(options.EventHubName)}').");
        }
        else if (entityPath is not null && !string.Equals(entityPath, options.EventHubName, StringComparison.OrdinalIgnoreCase))
        {
            errors.Add($"Event Hubs target '{name}': EventHubName '{options.EventHubName}' differs from the connection string's EntityPath; leave EventHubName unset or make them equal.");
        }

        if (options.MaxConcurrentSends < 1 || options.MaxConcurrentSends > EventHubsTargetDefaults.MaxMaxConcurrentSends)
        {
            errors.Add($"Event Hubs target '{name}': MaxConcurrentSends must be between 1 and {EventHubsTargetDefaults.MaxMaxConcurrentSends} (was {options.MaxConcurrentSends}).");
        }

        if (options.SendTimeout < EventHubsTargetDefaults.MinSendTimeout || options.SendTimeout > EventHubsTargetDefaults.MaxSendTimeout)
        {
            errors.Add($"Event Hubs target '{name}': SendTimeout must be between {EventHubsTargetDefaults.MinSendTimeout} and {EventHubsTargetDefaults.MaxSendTimeout} (was {options.SendTimeout}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    /// <summary>
    /// Whether the client's parser reads a connection string with an endpoint and either a shared access key with its name or a
    /// shared access signature (not both). The parser's message is not kept: it may quote the connection string.
    /// </summary>
    private static bool IsWellFormed(string connectionString)
    {
        EventHubsConnectionStringProperties properties;
        try
        {
            properties = EventHubsConnectionStringProperties.Parse(connectionString);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or UriFormatException)
        {
            return false;
        }

        var hasKey = !string.IsNullOrWhiteSpace(properties.SharedAccessKeyName) && !string.IsNullOrWhiteSpace(properties.SharedAccessKey);
        var hasSignature = !string.IsNullOrWhiteSpace(properties.SharedAccessSignature);
        return properties.Endpoint is { IsAbsoluteUri: true, Host.Length: > 0 }
            && (hasKey ? string.IsNullOrEmpty(properties.SharedAccessSignature) : hasSignature && string.IsNullOrEmpty(properties.SharedAccessKey));
    }

    /// <summary>Reads the <c>EntityPath</c> of a connection string, or <see langword="null"/> when it has none.</summary>
    internal static string? EntityPathOf(string connectionString)
    {
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0 && part.AsSpan(0, equals).Trim().Equals("EntityPath", StringComparison.OrdinalIgnoreCase))
            {
                var value = part[(equals + 1)..].Trim();
                return value.Length == 0 ? null : value;
            }
        }

        return null;
    }

    [GeneratedRegex("^[a-zA-Z0-9](?:[a-zA-Z0-9._-]*[a-zA-Z0-9])?$", RegexOptions.CultureInvariant)]
    private static partial Regex EventHubName();
}
