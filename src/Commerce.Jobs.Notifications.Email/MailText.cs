using System.Globalization;
using System.Text;

namespace Commerce.Jobs.Notifications.Email;

/// <summary>
/// Makes outside text (job and target names, record ids, error texts) safe to put in an e-mail: control characters
/// (CR, LF, NUL…) and lone surrogates become U+FFFD — an error text keeps its line breaks —, and the text is capped.
/// HTML encoding is the composer's, after this.
/// </summary>
internal static class MailText
{
    private const char Replacement = '\uFFFD';

    /// <summary>A one-line value: no line break survives, so it can never start a header or a line of its own.</summary>
    public static string Line(string? text, int max = EmailNotifierDefaults.MaxLineLength) => Clean(text, max, multiline: false);

    /// <summary>A text that may span lines (an error): line breaks become <c>\n</c>, other control characters U+FFFD.</summary>
    public static string Block(string? text, int max = EmailNotifierDefaults.MaxErrorLength) => Clean(text, max, multiline: true);

    private static string Clean(string? text, int max, bool multiline)
    {
        if (string.IsNullOrEmpty(text))
        {
            return string.Empty;
        }

        var builder = new StringBuilder(Math.Min(text.Length, max + 32));
        var i = 0;
        for (; i < text.Length && builder.Length < max; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(c).Append(text[++i]);
            }
            else if (char.IsSurrogate(c))
            {
                builder.Append(Replacement);
            }
            else if (multiline && c == '\r')
            {
                builder.Append('\n');
                if (i + 1 < text.Length && text[i + 1] == '\n')
                {
                    i++;
                }
            }
            else if (multiline && c is '\n' or '\t')
            {
                builder.Append(c);
            }
            else if (char.IsControl(c) || c is '\u2028' or '\u2029' or '\u0085')
            {
                builder.Append(Replacement);
            }
            else
            {
                builder.Append(c);
            }
        }

        if (i < text.Length)
        {
            builder.Append(CultureInfo.InvariantCulture, $" … (truncated, {text.Length} characters)");
        }

        return builder.ToString();
    }
}
