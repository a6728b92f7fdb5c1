using System.Text;

namespace Commerce.Jobs.Adapters.Tests.TestSupport;

/// <summary>A strict RFC 4180 reader, to check what the file export target writes.</summary>
public static class Csv
{
    public static List<string[]> Parse(string text, char delimiter = ',')
    {
        var rows = new List<string[]>();
        var row = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new FormatException("Unterminated quoted field.");
                    }

                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    field.Append(text[i++]);
                }
            }
            else
            {
                while (i < text.Length && text[i] != delimiter && text[i] != '\r')
                {
                    if (text[i] is '"' or '\n')
                    {
                        throw new FormatException($"Unquoted field holds {(text[i] == '"' ? "a quote" : "a bare LF")} at {i}.");
                    }

                    field.Append(text[i++]);
                }
            }

            row.Add(field.ToString());
            field.Clear();
            if (i < text.Length && text[i] == delimiter)
            {
                i++;
                continue;
            }

            if (i < text.Length)
            {
                if (text[i] != '\r' || i + 1 >= text.Length || text[i + 1] != '\n')
                {
                    throw new FormatException($"Expected CRLF at {i}.");
                }

                i += 2;
            }

            rows.Add(row.ToArray());
            row.Clear();
        }

        return rows;
    }
}
