namespace Commerce.Jobs.Internal;

/// <summary>How a target quotes an error text a client library gave (outside text): secrets removed first, then one line, cut.</summary>
internal static class ErrorText
{
    /// <summary>The most characters of an error text a target quotes.</summary>
    public const int MaxChars = 300;

    /// <summary>Removes every secret from the whole text, then keeps its first line, cut to <see cref="MaxChars"/>.</summary>
    /// <remarks>In this order: a secret cut in half by the cut would no longer match, and its start would be quoted.</remarks>
    public static string Quote(string text, IReadOnlyList<string> secrets) => FirstLine(Redact(text, secrets));

    /// <summary>Replaces each of <paramref name="secrets"/> in <paramref name="text"/> with <c>***</c>.</summary>
    public static string Redact(string text, IReadOnlyList<string> secrets)
    {
        foreach (var secret in secrets)
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        }

        return text;
    }

    private static string FirstLine(string message)
    {
        var line = message.AsSpan();
        var end = line.IndexOfAny('\r', '\n');
        if (end >= 0)
        {
            line = line[..end];
        }

        line = line.Trim();
        return line.Length > MaxChars ? string.Concat(line[..MaxChars], "…") : line.ToString();
    }
}
