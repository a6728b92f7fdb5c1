using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Commerce.Jobs.Adapters.PostgreSql;

/// <summary>Entity payloads as <c>jsonb</c> stores them: strings escaped where <c>jsonb</c> would refuse them, and back.</summary>
internal sealed partial class PostgreSqlJobStore
{
    /// <summary>
    /// A payload as <c>jsonb</c> holds it: <c>jsonb</c> refuses <c>\u0000</c> and a lone surrogate escape in a string, so
    /// when a payload may have one (or has the escape character) its strings and property names are escaped as
    /// <see cref="StoredText"/> says; other payloads are stored as they are.
    /// </summary>
    private static string EscapeJson(string json) =>
        json.Contains(StoredText.EscapeChar, StringComparison.Ordinal)
        || json.Contains("\\u0000", StringComparison.Ordinal)
        || json.Contains("\\uE000", StringComparison.OrdinalIgnoreCase)
        || json.Contains("\\uD", StringComparison.OrdinalIgnoreCase)   // a surrogate escape, maybe unpaired
            ? RewriteStrings(json, static s => StoredText.Escape(s))
            : json;

    /// <summary>A stored payload as it was given (<c>jsonb</c> writes the escape character as it is, never as <c>\uE000</c>).</summary>
    /// <remarks>A lone surrogate comes back as U+FFFD: System.Text.Json cannot write one into a <see cref="JsonElement"/>.</remarks>
    private static string UnescapeJson(string json) =>
        json.Contains(StoredText.EscapeChar, StringComparison.Ordinal) ? RewriteStrings(json, static s => StoredText.Unescape(s)) : json;

    /// <summary>Copies a JSON document token by token, passing every string and property name through <paramref name="map"/>.</summary>
    private static string RewriteStrings(string json, Func<string, string> map)
    {
        var buffer = new ArrayBufferWriter<byte>(json.Length + 64);
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes(json));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: writer.WriteStartObject(); break;
                    case JsonTokenType.EndObject: writer.WriteEndObject(); break;
                    case JsonTokenType.StartArray: writer.WriteStartArray(); break;
                    case JsonTokenType.EndArray: writer.WriteEndArray(); break;
                    case JsonTokenType.PropertyName: writer.WritePropertyName(map(ReadString(ref reader))); break;
                    case JsonTokenType.String: writer.WriteStringValue(map(ReadString(ref reader))); break;
                    default: writer.WriteRawValue(reader.ValueSpan, skipInputValidation: true); break;   // numbers, true, false, null
                }
            }
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A JSON string's value, a lone surrogate escape included (which <see cref="Utf8JsonReader.GetString"/> refuses).</summary>
    private static string ReadString(ref Utf8JsonReader reader)
    {
        try
        {
            return reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // The whole text was one span (Encoding.GetBytes above), so ValueSpan holds the escaped string between its quotes.
            var raw = reader.ValueSpan;
            var text = new StringBuilder(raw.Length);
            while (!raw.IsEmpty)
            {
                var backslash = raw.IndexOf((byte)'\\');
                text.Append(Encoding.UTF8.GetString(backslash < 0 ? raw : raw[..backslash]));
                if (backslash < 0)
                {
                    break;
                }

                var escape = (char)raw[backslash + 1];
                text.Append(escape switch
                {
                    'u' => (char)ushort.Parse(Encoding.ASCII.GetString(raw.Slice(backslash + 2, 4)), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture),
                    'b' => '\b',
                    'f' => '\f',
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    _ => escape,   // \" \\ \/
                });
                raw = raw[(backslash + (escape == 'u' ? 6 : 2))..];
            }

            return text.ToString();
        }
    }
}
