using System.Buffers;
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
    public static bool IsKnown(string? field) => field is Enabled or Paused or IncrementalSync or Targets or Deleted;

    /// <summary>The fields that differ between two configurations of a type; all of them when it did not exist before.</summary>
    public static IReadOnlyList<string> Changed(EntitySyncConfiguration? before, EntitySyncConfiguration after)
    {
        if (before is null)
        {
            return All;
        }

        var changed = new List<string>(4);
        if (before.Enabled != after.Enabled)
        {
            changed.Add(Enabled);
        }

        if (before.Paused != after.Paused)
        {
            changed.Add(Paused);
        }

        if (before.IncrementalSync != after.IncrementalSync)
        {
            changed.Add(IncrementalSync);
        }

        if (!before.Targets.SequenceEqual(after.Targets, StringComparer.OrdinalIgnoreCase))
        {
            changed.Add(Targets);
        }

        return changed;
    }

    /// <summary>A field's value for a configuration (<see langword="null"/>: the type is deleted).</summary>
    public static string Value(EntitySyncConfiguration? configuration, string field) => field switch
    {
        Deleted => OperatorStateValues.Format(configuration is null),
        Enabled => OperatorStateValues.Format(configuration!.Enabled),
        Paused => OperatorStateValues.Format(configuration!.Paused),
        IncrementalSync => OperatorStateValues.Format(configuration!.IncrementalSync),
        Targets => WriteTargets(configuration!.Targets),
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

    /// <summary>The targets as a JSON array of strings.</summary>
    private static string WriteTargets(IReadOnlyList<string> targets)
    {
        var buffer = new ArrayBufferWriter<byte>(16 + (targets.Count * 16));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var target in targets)
            {
                writer.WriteStringValue(target);
            }

            writer.WriteEndArray();
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>Reads a JSON array of strings; <see langword="null"/> when the text is not one.</summary>
    private static string[]? ReadTargets(string? value)
    {
        if (value is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(value);
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                return null;
            }

            var targets = new List<string>(document.RootElement.GetArrayLength());
            foreach (var element in document.RootElement.EnumerateArray())
            {
                if (element.ValueKind != JsonValueKind.String)
                {
                    return null;
                }

                targets.Add(element.GetString()!);
            }

            return [.. targets];
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
