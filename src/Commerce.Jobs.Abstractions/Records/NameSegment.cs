using System.Buffers;

namespace Commerce.Jobs;

/// <summary>
/// Makes an outside value (a job name, an entity type, a record id) safe as one segment of a file name or a blob name,
/// on Linux and Windows alike, and keeps distinct values distinct.
/// </summary>
/// <remarks>
/// Letters and digits of ASCII, <c>-</c>, <c>_</c> and <c>.</c> are kept; every other character, <c>%</c> included,
/// becomes <c>%XX</c> (uppercase hex) of its UTF-8 bytes, as in <see cref="IdempotencyKey"/>. So a segment never holds
/// <c>/</c>, <c>\</c>, <c>:</c>, a wildcard, a space or a control character. A <c>.</c> that leads, ends or follows
/// another <c>.</c> is encoded too (never <c>.</c>, <c>..</c>, a hidden or a trailing-dot name), and so is the first
/// letter of a name Windows reserves for a device (<c>CON</c>, <c>NUL</c>, <c>COM1</c>…). A segment longer than <see cref="MaxLength"/> characters after
/// encoding is replaced by the SHA-256 of its encoded text, as 64 lowercase hex digits.
/// </remarks>
public static class NameSegment
{
    /// <summary>The longest a segment is; a longer one is replaced by its SHA-256 in hex.</summary>
    public const int MaxLength = 100;

    private static readonly SearchValues<char> Kept = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");

    private static readonly string[] DeviceNames = ["CON", "PRN", "AUX", "NUL", "COM0", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "LPT0", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"];

    /// <summary>Encodes <paramref name="value"/> as a segment of a file or blob name.</summary>
    /// <param name="value">The value; not empty.</param>
    /// <returns>The segment: <paramref name="value"/> itself when it is a plain name such as <c>order-export</c>.</returns>
    /// <exception cref="ArgumentException"><paramref name="value"/> is empty.</exception>
    /// <example><c>NameSegment.Create("../etc/passwd")</c> is <c>%2E%2E%2Fetc%2Fpasswd</c>.</example>
    public static string Create(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        var device = IsDeviceName(value);
        var encoded = device || value.Contains('.', StringComparison.Ordinal)
            ? PercentEncoding.Encode(value, Kept, (text, i) => (i == 0 && device) || (text[i] == '.' && (i == 0 || i == text.Length - 1 || text[i - 1] == '.')))
            : PercentEncoding.Encode(value, Kept);
        return PercentEncoding.HashIfLonger(encoded, MaxLength);
    }

    /// <summary>Tells whether the part before the first <c>.</c> is a device name, which Windows reserves whatever the extension.</summary>
    private static bool IsDeviceName(string value)
    {
        var stem = value.AsSpan();
        var dot = stem.IndexOf('.');
        stem = (dot < 0 ? stem : stem[..dot]).TrimEnd(' ');
        foreach (var name in DeviceNames)
        {
            if (stem.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
