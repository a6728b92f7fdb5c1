using System.Text.Json;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.EntitySync;

/// <summary>
/// An entity type's configuration as fields of the operator-state plane (kind <see cref="OperatorStateKinds.EntitySync"/>):
/// each setting an operator changes is written alone, with its own time, so changes of different settings on different
/// hosts all hold.
/// </summary>
internal static class EntitySyncFields
{
    public const string Enabled = "enabled";
    public const string Paused = "paused";
    public const string IncrementalSync = "incremental-sync";
    public const string Targets = "targets";
    public const string Deleted = "deleted";

    /// <summary>Every field, for a type written whole (new on this host).</summary>
    public static IReadOnlyList<string> All { get; } = [Deleted, Enabled, Paused, IncrementalSync, Targets];

    /// <summary>Whether a stored field is one of these (others, from a later version, are ignored).</summary>
    public static bool IsKnown(string? field) => field is not null && All.Contains(field);

    /// <summary>The fields that differ between two configurations of a type; all of them when it did not exist before.</summary>
    public static IReadOnlyList<string> Changed(EntitySyncConfiguration? before, EntitySyncConfiguration after) =>
        before is null ? All : [.. All.Where(f => f != Deleted && Value(before, f) != Value(after, f))];

    /// <summary>A field's value for a configuration (<see langword="null"/>: the type is deleted); the targets as a JSON array.</summary>
    public static string Value(EntitySyncConfiguration? configuration, string field) => field switch
    {
        Deleted => OperatorStateValues.Format(configuration is null),
        Enabled => OperatorStateValues.Format(configuration!.Enabled),
        Paused => OperatorStateValues.Format(configuration!.Paused),
        IncrementalSync => OperatorStateValues.Format(configuration!.IncrementalSync),
        Targets => JsonSerializer.Serialize(configuration!.Targets),
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "Not an entity-sync field."),
    };

    /// <summary>Applies a stored field to a configuration; false when its value cannot be read.</summary>
    public static bool TryApply(ref EntitySyncConfiguration configuration, OperatorStateField field)
    {
        if (field.Name == Targets)
        {
            if (ReadTargets(field.Value) is not { } targets)
            {
                return false;
            }

            configuration = configuration with { Targets = targets };
            return true;
        }

        if (OperatorStateValues.ParseFlag(field.Value) is not { } flag)
        {
            return false;
        }

        configuration = field.Name switch
        {
            Enabled => configuration with { Enabled = flag },
            Paused => configuration with { Paused = flag },
            IncrementalSync => configuration with { IncrementalSync = flag },
            _ => configuration,
        };
        return true;
    }

    /// <summary>Reads a JSON array of strings; <see langword="null"/> when the text is not one.</summary>
    private static string[]? ReadTargets(string? value)
    {
        try
        {
            var targets = value is null ? null : JsonSerializer.Deserialize<string[]>(value);
            return targets is not null && Array.TrueForAll(targets, static t => t is not null) ? targets : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
