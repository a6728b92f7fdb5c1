using System.Buffers;
using Commerce.Jobs.Runners;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.EntitySync;

// Configuration validation: a configuration and the options it would run with.
internal sealed partial class EntitySyncService
{
    private static readonly SearchValues<char> NameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    /// <summary>Checks a configuration and the type's options (batch, retry window) it would run with.</summary>
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
            return (_options.Get(configuration.EntityType), errors);
        }
        catch (OptionsValidationException ex)
        {
            errors.AddRange(ex.Failures);
            return (null, errors);
        }
    }

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
