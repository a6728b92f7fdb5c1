using System.Globalization;

namespace Commerce.Jobs.EntitySync;

/// <summary>
/// A full sync's progress as kept in the checkpoint: <c>{request time, round-trip}|{entities read}|{done}|{written at}|{reader}</c>
/// (the reader last: an owner may hold any character; a checkpoint of three parts, written before readers were kept, has none).
/// </summary>
internal readonly record struct EntityFullSyncProgress(DateTimeOffset RequestedAt, long Read, bool Done, string Owner, DateTimeOffset WrittenAt)
{
    public static EntityFullSyncProgress Parse(string? text)
    {
        var parts = text?.Split('|', 5);
        var written = DateTimeOffset.MinValue;
        return parts is { Length: 3 or 5 }
            && DateTimeOffset.TryParse(parts[0], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var at)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var read)
            && bool.TryParse(parts[2], out var done)
            && (parts.Length == 3 || DateTimeOffset.TryParse(parts[3], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out written))
            ? new EntityFullSyncProgress(at, read, done, parts.Length == 5 ? parts[4] : string.Empty, written)
            : new EntityFullSyncProgress(DateTimeOffset.MinValue, 0, Done: true, string.Empty, DateTimeOffset.MinValue);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{RequestedAt:O}|{Read}|{Done}|{WrittenAt:O}|{Owner}");
}
