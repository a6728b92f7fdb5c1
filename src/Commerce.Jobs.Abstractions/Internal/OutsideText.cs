using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace Commerce.Jobs;

/// <summary>
/// Makes a text that came from outside (an exception's message, a target's error, a job's log line) safe to store:
/// NUL and lone surrogates become U+FFFD, and a text longer than its cap is cut, ending with
/// "… (truncated, N chars)" where N is the original length. The one place the caps live.
/// </summary>
internal static class OutsideText
{
    /// <summary>The longest error kept: a run's error, a record failure's error, a notification's error.</summary>
    public const int MaxErrorLength = 4_000;

    /// <summary>The longest line kept in a run's log.</summary>
    public const int MaxLogLineLength = 8_000;

    private const int MinLength = 64;
    private const char Replacement = '\uFFFD';

    /// <summary>Caps an error at <see cref="MaxErrorLength"/> characters.</summary>
    /// <param name="text">The text, or <see langword="null"/>.</param>
    /// <returns>The text itself when it is short and safe; otherwise a safe, capped copy.</returns>
    [return: NotNullIfNotNull(nameof(text))]
    public static string? Cap(string? text) => Cap(text, MaxErrorLength);

    /// <summary>Caps a text at <paramref name="maxLength"/> characters.</summary>
    /// <param name="text">The text, or <see langword="null"/>.</param>
    /// <param name="maxLength">The most characters kept, marker included (at least 64).</param>
    /// <returns>The text itself when it is short and safe; otherwise a safe, capped copy.</returns>
    [return: NotNullIfNotNull(nameof(text))]
    public static string? Cap(string? text, int maxLength)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, MinLength);
        if (text is null)
        {
            return null;
        }

        var keep = text.Length;
        var marker = string.Empty;
        if (text.Length > maxLength)
        {
            marker = string.Create(CultureInfo.InvariantCulture, $"… (truncated, {text.Length} chars)");
            keep = maxLength - marker.Length;
            if (char.IsHighSurrogate(text[keep - 1]))
            {
                keep--; // never split a pair
            }
        }
        else if (IsSafe(text))
        {
            return text;
        }

        return string.Create(keep + marker.Length, (text, keep, marker), static (span, state) =>
        {
            var source = state.text.AsSpan(0, state.keep);
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                if (char.IsHighSurrogate(c) && i + 1 < source.Length && char.IsLowSurrogate(source[i + 1]))
                {
                    span[i] = c;
                    span[++i] = source[i];
                    continue;
                }

                span[i] = c == '\0' || char.IsSurrogate(c) ? Replacement : c;
            }

            state.marker.AsSpan().CopyTo(span[state.keep..]);
        });
    }

    private static bool IsSafe(string text)
    {
        var span = text.AsSpan();
        if (span.Contains('\0'))
        {
            return false;
        }

        var i = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        while (i >= 0)
        {
            if (!char.IsHighSurrogate(span[i]) || i + 1 >= span.Length || !char.IsLowSurrogate(span[i + 1]))
            {
                return false;
            }

            span = span[(i + 2)..];
            i = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        }

        return true;
    }
}
