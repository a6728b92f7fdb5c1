using System.Buffers;
using System.Security.Cryptography;
using System.Text;

namespace Commerce.Jobs;

/// <summary>
/// The one percent-encoding of outside values (ids, job names, entity types) behind <see cref="IdempotencyKey"/> and
/// <see cref="NameSegment"/>: characters outside a kept set become <c>%XX</c> (uppercase hex) of their UTF-8 bytes.
/// </summary>
internal static class PercentEncoding
{
    private const string HexUpper = "0123456789ABCDEF";

    /// <summary>Gets visible ASCII (<c>!</c> to <c>~</c>) without the characters of <paramref name="except"/>.</summary>
    public static SearchValues<char> VisibleAscii(string except)
    {
        var chars = new StringBuilder();
        for (var c = '!'; c <= '~'; c++)
        {
            if (!except.Contains(c, StringComparison.Ordinal))
            {
                chars.Append(c);
            }
        }

        return SearchValues.Create(chars.ToString());
    }

    /// <summary>
    /// Encodes every character of <paramref name="value"/> that is not in <paramref name="kept"/> (and every index
    /// <paramref name="alsoEncode"/> names) as <c>%XX</c> of its UTF-8 bytes; a lone surrogate as the three bytes of its
    /// code unit (as WTF-8 writes it), so it stays distinct from U+FFFD. <paramref name="kept"/> must not hold <c>%</c>,
    /// so the encoding can be read back and distinct values stay distinct.
    /// </summary>
    public static string Encode(string value, SearchValues<char> kept, Func<string, int, bool>? alsoEncode = null)
    {
        var first = value.AsSpan().IndexOfAnyExcept(kept);
        if (first < 0 && alsoEncode is null)
        {
            return value;
        }

        var text = new StringBuilder(value.Length + 16);
        Span<byte> bytes = stackalloc byte[4];
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (kept.Contains(c) && alsoEncode?.Invoke(value, i) != true)
            {
                text.Append(c);
                continue;
            }

            int length;
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                length = new Rune(c, value[++i]).EncodeToUtf8(bytes);
            }
            else if (char.IsSurrogate(c))
            {
                bytes[0] = (byte)(0xE0 | (c >> 12));
                bytes[1] = (byte)(0x80 | ((c >> 6) & 0x3F));
                bytes[2] = (byte)(0x80 | (c & 0x3F));
                length = 3;
            }
            else
            {
                length = new Rune(c).EncodeToUtf8(bytes);
            }

            foreach (var b in bytes[..length])
            {
                text.Append('%').Append(HexUpper[b >> 4]).Append(HexUpper[b & 0xF]);
            }
        }

        return text.ToString();
    }

    /// <summary>Returns <paramref name="encoded"/>, or when it is longer than <paramref name="maxLength"/> the SHA-256 of its (ASCII) text as 64 lowercase hex digits.</summary>
    public static string HashIfLonger(string encoded, int maxLength)
    {
        if (encoded.Length <= maxLength)
        {
            return encoded;
        }

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.ASCII.GetBytes(encoded), digest);
        return Convert.ToHexStringLower(digest);
    }
}
