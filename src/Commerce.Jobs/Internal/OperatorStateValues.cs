namespace Commerce.Jobs.Internal;

/// <summary>How the engine and entity sync write their operator-state fields as text, and read them back.</summary>
internal static class OperatorStateValues
{
    /// <summary>A job's field: whether it is paused.</summary>
    public const string Paused = "paused";

    /// <summary>A job's field: whether it is disabled.</summary>
    public const string Disabled = "disabled";

    /// <summary>A run-time definition's field (a job's, a target's): who made its newest change.</summary>
    public const string ChangedBy = "changed-by";

    /// <summary>Stamps a change made now: UTC, to the microsecond (what every store keeps), and after <paramref name="last"/> (never back in time).</summary>
    public static DateTimeOffset Stamp(DateTimeOffset now, DateTimeOffset? last)
    {
        var at = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % 10), TimeSpan.Zero);
        return last is { } seen && at <= seen ? seen.AddTicks(10) : at;
    }

    public static string Format(bool value) => value ? "true" : "false";

    /// <summary>Reads a flag; <see langword="null"/> when the text is not one (a later version's value: ignored).</summary>
    public static bool? ParseFlag(string? value) => value switch
    {
        "true" => true,
        "false" => false,
        _ => null,
    };
}
