using System.Globalization;
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

    // The delivery settings changed at run time: a whole number or a time span ([d.]hh:mm:ss), null (no value) as declared.
    public const string BatchSize = "batch-size";
    public const string MaxItemsToSkip = "max-items-to-skip";
    public const string MaxRetries = "max-retries";
    public const string RetryWindow = "retry-window";
    public const string RetrySkippedAfter = "retry-skipped-after";

    /// <summary>Every field, for a type written whole (new on this host).</summary>
    public static IReadOnlyList<string> All { get; } = [Deleted, Enabled, Paused, IncrementalSync, Targets, BatchSize, MaxItemsToSkip, MaxRetries, RetryWindow, RetrySkippedAfter];

    /// <summary>The delivery settings: overrides of the type's <see cref="EntitySyncOptions"/>, each on its own.</summary>
    public static IReadOnlyList<string> Settings { get; } = [BatchSize, MaxItemsToSkip, MaxRetries, RetryWindow, RetrySkippedAfter];

    /// <summary>Whether a stored field is one of these (others, from a later version, are ignored).</summary>
    public static bool IsKnown(string? field) => field is not null && All.Contains(field);

    /// <summary>The fields that differ between two configurations of a type; all of them when it did not exist before.</summary>
    public static IReadOnlyList<string> Changed(EntitySyncConfiguration? before, EntitySyncConfiguration after) =>
        before is null ? All : [.. All.Where(f => f != Deleted && Value(before, f) != Value(after, f))];

    /// <summary>
    /// A field's value for a configuration (<see langword="null"/>: the type is deleted); the targets as a JSON array; a
    /// delivery setting as text, <see langword="null"/> when as declared.
    /// </summary>
    public static string? Value(EntitySyncConfiguration? configuration, string field) => field switch
    {
        Deleted => OperatorStateValues.Format(configuration is null),
        Enabled => OperatorStateValues.Format(configuration!.Enabled),
        Paused => OperatorStateValues.Format(configuration!.Paused),
        IncrementalSync => OperatorStateValues.Format(configuration!.IncrementalSync),
        Targets => JsonSerializer.Serialize(configuration!.Targets),
        BatchSize => Text(configuration!.BatchSize),
        MaxItemsToSkip => Text(configuration!.MaxItemsToSkip),
        MaxRetries => Text(configuration!.MaxRetries),
        RetryWindow => Text(configuration!.RetryWindow),
        RetrySkippedAfter => Text(configuration!.RetrySkippedAfter),
        _ => throw new ArgumentOutOfRangeException(nameof(field), field, "Not an entity-sync field."),
    };

    /// <summary>A delivery setting's name in <see cref="EntitySyncOptions"/>, as the validation messages name it.</summary>
    public static string OptionName(string setting) => setting switch
    {
        BatchSize => nameof(EntitySyncOptions.BatchSize),
        MaxItemsToSkip => nameof(EntitySyncOptions.MaxItemsToSkip),
        MaxRetries => "RetryWindow.MaxRetries",
        RetryWindow => "RetryWindow.Window",
        _ => nameof(EntitySyncOptions.RetrySkippedAfter),
    };

    /// <summary>A delivery setting's declared value (in <paramref name="declared"/>) as text.</summary>
    public static string Declared(EntitySyncOptions declared, string setting) => Value(Override(declared), setting)!;

    /// <summary>The type's options with the configuration's delivery settings over them (the declared options when it has none).</summary>
    public static EntitySyncOptions Effective(EntitySyncOptions declared, EntitySyncConfiguration configuration)
    {
        if (configuration is { BatchSize: null, MaxItemsToSkip: null, MaxRetries: null, RetryWindow: null, RetrySkippedAfter: null })
        {
            return declared;
        }

        var effective = new EntitySyncOptions
        {
            BatchSize = configuration.BatchSize ?? declared.BatchSize,
            MaxItemsToSkip = configuration.MaxItemsToSkip ?? declared.MaxItemsToSkip,
            RetrySkippedAfter = configuration.RetrySkippedAfter ?? declared.RetrySkippedAfter,
            PollInterval = declared.PollInterval,
            TombstoneRetention = declared.TombstoneRetention,
        };
        effective.RetryWindow.MaxRetries = configuration.MaxRetries ?? declared.RetryWindow.MaxRetries;
        effective.RetryWindow.Window = configuration.RetryWindow ?? declared.RetryWindow.Window;
        effective.RetryWindow.BaseDelay = declared.RetryWindow.BaseDelay;
        return effective;
    }

    /// <summary>Applies a stored field to a configuration; false when its value cannot be read.</summary>
    public static bool TryApply(ref EntitySyncConfiguration configuration, OperatorStateField field)
    {
        if (Settings.Contains(field.Name))
        {
            return TryApplySetting(ref configuration, field.Name, field.Value);
        }

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

    private static bool TryApplySetting(ref EntitySyncConfiguration configuration, string setting, string? value)
    {
        var (isNumber, number, span) = (setting is BatchSize or MaxItemsToSkip or MaxRetries, (int?)null, (TimeSpan?)null);
        if (value is not null)
        {
            if (isNumber && int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n))
            {
                number = n;
            }
            else if (!isNumber && TimeSpan.TryParseExact(value, "c", CultureInfo.InvariantCulture, out var t))
            {
                span = t;
            }
            else
            {
                return false;
            }
        }

        configuration = setting switch
        {
            BatchSize => configuration with { BatchSize = number },
            MaxItemsToSkip => configuration with { MaxItemsToSkip = number },
            MaxRetries => configuration with { MaxRetries = number },
            RetryWindow => configuration with { RetryWindow = span },
            _ => configuration with { RetrySkippedAfter = span },
        };
        return true;
    }

    /// <summary>A configuration overriding every delivery setting with the value in <paramref name="options"/>.</summary>
    private static EntitySyncConfiguration Override(EntitySyncOptions options) => new()
    {
        EntityType = string.Empty,
        Targets = [],
        BatchSize = options.BatchSize,
        MaxItemsToSkip = options.MaxItemsToSkip,
        MaxRetries = options.RetryWindow.MaxRetries,
        RetryWindow = options.RetryWindow.Window,
        RetrySkippedAfter = options.RetrySkippedAfter,
    };

    private static string? Text(int? value) => value?.ToString(CultureInfo.InvariantCulture);

    private static string? Text(TimeSpan? value) => value?.ToString("c", CultureInfo.InvariantCulture);

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
