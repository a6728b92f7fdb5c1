using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace Commerce.Jobs;

/// <summary>
/// Makes any .NET string storable in a database that holds only valid Unicode without NUL (PostgreSQL <c>text</c> and
/// <c>jsonb</c>; SQLite through Microsoft.Data.Sqlite, which writes UTF-8 and turns a lone surrogate into U+FFFD), and
/// restores it on read. Shared by the SQLite and PostgreSQL stores (linked into each; adapters do not depend on each other).
/// </summary>
/// <remarks>
/// <para>
/// The escape is the private-use character U+E000 followed by the four upper-case hex digits of the UTF-16 code unit it
/// stands for. Only three kinds of code unit are escaped: NUL, a surrogate that is not half of a valid pair, and U+E000
/// itself (so an escape in the original text cannot be mistaken for one). Every other character, line breaks, control
/// characters and non-ASCII included, is stored as it is: a text without those three is stored unchanged (the same
/// instance), stays readable and queryable in the database, and costs one scan.
/// </para>
/// <para>
/// <see cref="Escape"/> is deterministic and <see cref="Unescape"/> undoes it exactly, so a key column keeps one row per
/// original text and a lookup finds it by escaping the same way. <see cref="Unescape"/> reads only the escapes
/// <see cref="Escape"/> writes; any other U+E000 (text stored before this escaping existed) is left as it is.
/// </para>
/// </remarks>
internal static class StoredText
{
    /// <summary>The escape character: U+E000, the first private-use character.</summary>
    public const char EscapeChar = '\uE000';

    private const int HexDigits = 4;

    private static readonly SearchValues<char> s_attention = SearchValues.Create(AttentionChars());

    /// <summary>Escapes what the database cannot hold; returns <paramref name="value"/> itself when nothing needs it.</summary>
    /// <param name="value">The text, or <see langword="null"/>.</param>
    /// <returns>The text to store.</returns>
    [return: NotNullIfNotNull(nameof(value))]
    public static string? Escape(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var first = IndexOfUnstorable(value);
        if (first < 0)
        {
            return value;
        }

        var escaped = new StringBuilder(value.Length + 16);
        escaped.Append(value, 0, first);
        for (var i = first; i < value.Length; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                escaped.Append(c).Append(value[++i]);
            }
            else if (c == '\0' || c == EscapeChar || char.IsSurrogate(c))
            {
                AppendEscape(escaped, c);
            }
            else
            {
                escaped.Append(c);
            }
        }

        return escaped.ToString();
    }

    /// <summary>Restores a text <see cref="Escape"/> made; returns <paramref name="value"/> itself when it holds no escape.</summary>
    /// <param name="value">The stored text, or <see langword="null"/>.</param>
    /// <returns>The original text.</returns>
    [return: NotNullIfNotNull(nameof(value))]
    public static string? Unescape(string? value)
    {
        if (value is null)
        {
            return null;
        }

        var first = value.IndexOf(EscapeChar, StringComparison.Ordinal);
        if (first < 0)
        {
            return value;
        }

        var restored = new StringBuilder(value.Length);
        restored.Append(value, 0, first);
        for (var i = first; i < value.Length; i++)
        {
            var c = value[i];
            if (c == EscapeChar && TryReadEscaped(value.AsSpan(i + 1), out var original))
            {
                restored.Append(original);
                i += HexDigits;
            }
            else
            {
                restored.Append(c);
            }
        }

        return restored.ToString();
    }

    /// <summary>Escapes every text of an array (a column of values sent at once).</summary>
    /// <param name="values">The texts.</param>
    /// <returns>A new array of the texts to store.</returns>
    public static string[] EscapeAll(IReadOnlyCollection<string> values)
    {
        var escaped = new string[values.Count];
        var i = 0;
        foreach (var value in values)
        {
            escaped[i++] = Escape(value);
        }

        return escaped;
    }

    /// <summary>Gets the index of the first code unit <see cref="Escape"/> would escape, or -1.</summary>
    private static int IndexOfUnstorable(ReadOnlySpan<char> text)
    {
        var offset = 0;
        while (true)
        {
            var found = text[offset..].IndexOfAny(s_attention);
            if (found < 0)
            {
                return -1;
            }

            var at = offset + found;
            if (char.IsHighSurrogate(text[at]) && at + 1 < text.Length && char.IsLowSurrogate(text[at + 1]))
            {
                offset = at + 2;   // a valid pair: stored as it is
                continue;
            }

            return at;
        }
    }

    private static void AppendEscape(StringBuilder builder, char c)
    {
        const string hex = "0123456789ABCDEF";
        builder.Append(EscapeChar)
            .Append(hex[(c >> 12) & 0xF])
            .Append(hex[(c >> 8) & 0xF])
            .Append(hex[(c >> 4) & 0xF])
            .Append(hex[c & 0xF]);
    }

    /// <summary>Reads the four hex digits after an escape, if they are ones <see cref="Escape"/> writes (upper case, an escaped code unit).</summary>
    private static bool TryReadEscaped(ReadOnlySpan<char> digits, out char original)
    {
        original = '\0';
        if (digits.Length < HexDigits)
        {
            return false;
        }

        var code = 0;
        for (var i = 0; i < HexDigits; i++)
        {
            var d = digits[i];
            int value;
            if (d is >= '0' and <= '9')
            {
                value = d - '0';
            }
            else if (d is >= 'A' and <= 'F')
            {
                value = d - 'A' + 10;
            }
            else
            {
                return false;
            }

            code = (code << 4) | value;
        }

        original = (char)code;
        return original == '\0' || original == EscapeChar || char.IsSurrogate(original);
    }

    private static string AttentionChars()
    {
        var chars = new StringBuilder(2 + 0x800);
        chars.Append('\0').Append(EscapeChar);
        for (var c = 0xD800; c <= 0xDFFF; c++)
        {
            chars.Append((char)c);
        }

        return chars.ToString();
    }
}
