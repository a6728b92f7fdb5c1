using System.Buffers;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.EntitySync;

// Configuration validation: a configuration and the options it would run with.
internal sealed partial class EntitySyncService
{
    private static readonly SearchValues<char> NameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    /// <summary>
    /// Checks a configuration and the type's options (batch, retry window) it would run with: the declared options with its
    /// delivery settings over them, validated as at start.
    /// </summary>
    /// <returns>The options when valid, and what is wrong otherwise.</returns>
    private (EntitySyncOptions? Options, List<string> Errors) Check(EntitySyncConfiguration configuration)
    {
        var errors = ValidateConfiguration(configuration, _registry).ToList();
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        try
        {
            var declared = _options.Get(configuration.EntityType);
            var effective = EntitySyncFields.Effective(declared, configuration);
            if (!ReferenceEquals(effective, declared))
            {
                errors.AddRange(ValidateOptions(configuration.EntityType, effective));
            }

            return (errors.Count == 0 ? effective : null, errors);
        }
        catch (OptionsValidationException ex)
        {
            errors.AddRange(ex.Failures);
            return (null, errors);
        }
    }

    /// <summary>
    /// The configuration without each delivery setting that does not validate on its own over this host's declared options
    /// (stored by another host or an older version, or declared differently since): each is logged with the declared value
    /// that applies instead.
    /// </summary>
    private EntitySyncConfiguration WithoutInvalidSettings(EntitySyncConfiguration configuration)
    {
        var type = configuration.EntityType;
        EntitySyncOptions declared;
        try
        {
            declared = _options.Get(type);
        }
        catch (OptionsValidationException)
        {
            return configuration;  // the check reports it
        }

        var bare = configuration with { BatchSize = null, MaxItemsToSkip = null, MaxRetries = null, RetryWindow = null, RetrySkippedAfter = null };
        foreach (var setting in EntitySyncFields.Settings)
        {
            if (EntitySyncFields.Value(configuration, setting) is not { } value)
            {
                continue;
            }

            var alone = bare;
            EntitySyncFields.TryApply(ref alone, new OperatorStateField(setting, value, default));
            var errors = ValidateOptions(type, EntitySyncFields.Effective(declared, alone)).ToList();
            if (errors.Count > 0)
            {
                IgnoreSetting(ref configuration, setting, value, string.Join(" ", errors));
            }
        }

        return configuration;
    }

    /// <summary>Puts a stored delivery setting back to as declared, with a warning naming the type, the setting and the declared value used.</summary>
    private void IgnoreSetting(ref EntitySyncConfiguration configuration, string setting, string? value, string reason)
    {
        string declared;
        try
        {
            declared = EntitySyncFields.Declared(_options.Get(configuration.EntityType), setting);
        }
        catch (OptionsValidationException)
        {
            declared = "(not valid)";
        }

        EntitySyncLog.SettingIgnored(_logger, configuration.EntityType, EntitySyncFields.OptionName(setting), OutsideText.Cap(value, 200), reason, declared);
        EntitySyncFields.TryApply(ref configuration, new OperatorStateField(setting, null, default));
    }

    /// <summary>Every registered validator's messages for a type's options (the start-up validation).</summary>
    private IEnumerable<string> ValidateOptions(string entityType, EntitySyncOptions options) =>
        _validators.Select(v => v.Validate(entityType, options)).Where(static r => r.Failed).SelectMany(static r => r.Failures ?? []);

    /// <summary>Says what is wrong with a configuration, if anything; each message names the type and the setting.</summary>
    internal static IEnumerable<string> ValidateConfiguration(EntitySyncConfiguration configuration, JobRegistry registry)
    {
        var type = configuration.EntityType;
        if (string.IsNullOrWhiteSpace(type))
        {
            yield return "Entity sync: EntityType must not be empty.";
            type = "(empty)";
        }
        else if (type.Length > 100 || type.AsSpan().IndexOfAnyExcept(NameChars) >= 0)
        {
            yield return $"Entity sync '{type}': EntityType must be 1 to 100 letters, digits, '-', '_' or '.'.";
        }

        if (configuration.Targets is not { Count: > 0 } targets)
        {
            yield return $"Entity sync '{type}': Targets must name at least one delivery target (DeliverTo).";
            yield break;
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var target in targets)
        {
            if (string.IsNullOrWhiteSpace(target))
            {
                yield return $"Entity sync '{type}': Targets contains an empty target name.";
            }
            else if (!seen.Add(target))
            {
                yield return $"Entity sync '{type}': Targets names '{target}' twice.";
            }
            else if (!registry.Targets.ContainsKey(target))
            {
                var known = registry.Targets.Count == 0 ? "none" : string.Join(", ", registry.Targets.Keys.Order(StringComparer.OrdinalIgnoreCase));
                yield return $"Entity sync '{type}': target '{target}' is not a registered delivery target (registered: {known}).";
            }
        }
    }
}
