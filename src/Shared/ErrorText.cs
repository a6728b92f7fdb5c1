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

    /// <summary>
    /// The secrets of a connection string an error text may quote: the values of <paramref name="keys"/> (at least four
    /// characters), and the <c>sig</c> parameter of a shared access signature among them.
    /// </summary>
    /// <param name="connectionString">The connection string (<see langword="null"/>: none).</param>
    /// <param name="keys">The names of its secret parts, compared ignoring case.</param>
    public static string[] SecretsOf(string? connectionString, params string[] keys)
    {
        if (connectionString is null)
        {
            return [];
        }

        var secrets = new List<string>();
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            var key = equals > 0 ? part[..equals].Trim() : string.Empty;
            var value = equals > 0 ? part[(equals + 1)..].Trim() : string.Empty;
            if (value.Length < 4 || !keys.Contains(key, StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            secrets.Add(value);
            foreach (var parameter in value.TrimStart('?').Split('&', ' '))
            {
                if (parameter.StartsWith("sig=", StringComparison.OrdinalIgnoreCase) && parameter.Length > 4)
                {
                    secrets.Add(parameter[4..]);
                }
            }
        }

        return [.. secrets];
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
