using Commerce.Jobs.Storage;

namespace Commerce.Jobs;

/// <summary>What every <see cref="IOperatorChangeLog"/> checks and keeps, in one place for every store.</summary>
internal static class OperatorChangeArguments
{
    /// <summary>The changes a store keeps per (kind, name): an append beyond them drops the oldest.</summary>
    public const int KeptPerName = 100;

    /// <summary>Throws <see cref="ArgumentNullException"/> for a missing change, kind, name, action, value list, value or field name.</summary>
    public static void Check(OperatorChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        ArgumentNullException.ThrowIfNull(change.Kind, nameof(change));
        ArgumentNullException.ThrowIfNull(change.Name, nameof(change));
        ArgumentNullException.ThrowIfNull(change.Action, nameof(change));
        ArgumentNullException.ThrowIfNull(change.Values, nameof(change));
        foreach (var value in change.Values)
        {
            ArgumentNullException.ThrowIfNull(value, nameof(change));
            ArgumentNullException.ThrowIfNull(value.Field, nameof(change));
        }
    }

    /// <summary>Throws for a missing kind or name, or a limit that is not positive.</summary>
    public static void Check(string kind, string name, int limit)
    {
        ArgumentNullException.ThrowIfNull(kind);
        ArgumentNullException.ThrowIfNull(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
    }

    /// <summary>A time as every store keeps it: UTC, to the microsecond (truncated).</summary>
    public static DateTimeOffset Microseconds(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % 10), TimeSpan.Zero);
}
