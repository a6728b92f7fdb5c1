using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters.Kafka;

/// <summary>Checks a Kafka target's settings; every message names the target and the setting, and none repeats a producer setting's value.</summary>
internal sealed partial class KafkaTargetOptionsValidator : IValidateOptions<KafkaTargetOptions>
{
    public ValidateOptionsResult Validate(string? name, KafkaTargetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            errors.Add($"Kafka target '{name}': BootstrapServers is required.");
        }

        if (string.IsNullOrWhiteSpace(options.Topic))
        {
            errors.Add($"Kafka target '{name}': Topic is required.");
        }
        else if (options.Topic.Length > KafkaTargetDefaults.MaxTopicLength || options.Topic is "." or ".." || !TopicName().IsMatch(options.Topic))
        {
            errors.Add($"Kafka target '{name}': Topic must be at most {KafkaTargetDefaults.MaxTopicLength} letters, digits, '.', '_' and '-', and not '.' or '..' (was '{options.Topic}').");
        }

        if (options.DeliveryTimeout < TimeSpan.FromMilliseconds(1) || options.DeliveryTimeout > KafkaTargetDefaults.MaxDeliveryTimeout)
        {
            errors.Add($"Kafka target '{name}': DeliveryTimeout must be between 00:00:00.001 and {KafkaTargetDefaults.MaxDeliveryTimeout} (was {options.DeliveryTimeout}).");
        }

        foreach (var key in options.ProducerSettings.Keys)
        {
            if (KafkaTargetDefaults.ReservedSettings.Contains(key.Trim(), StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"Kafka target '{name}': ProducerSettings['{key}'] cannot be set: use BootstrapServers and DeliveryTimeout; the producer is always idempotent with acks=all.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    [GeneratedRegex("^[a-zA-Z0-9._-]+$", RegexOptions.CultureInvariant)]
    private static partial Regex TopicName();
}
