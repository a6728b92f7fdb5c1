using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Commerce.Jobs;

/// <summary>
/// The values of an <see cref="OperatorChange"/> as the SQL stores keep them: one JSON array of
/// <c>[field, old, new]</c> triples, each text through <see cref="StoredText"/> (JSON cannot carry a lone surrogate, and
/// a database may refuse NUL), so any text reads back exactly.
/// </summary>
internal static class OperatorChangeValuesJson
{
    public static string Write(IReadOnlyList<OperatorChangeValue> values)
    {
        var buffer = new ArrayBufferWriter<byte>(16 + (values.Count * 48));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (var value in values)
            {
                json.WriteStartArray();
                json.WriteStringValue(StoredText.Escape(value.Field));
                WriteTextOrNull(json, value.OldValue);
                WriteTextOrNull(json, value.NewValue);
                json.WriteEndArray();
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static OperatorChangeValue[] Read(string text)
    {
        using var document = JsonDocument.Parse(text);
        var values = new OperatorChangeValue[document.RootElement.GetArrayLength()];
        var i = 0;
        foreach (var triple in document.RootElement.EnumerateArray())
        {
            values[i++] = new OperatorChangeValue(StoredText.Unescape(triple[0].GetString()) ?? string.Empty, ReadTextOrNull(triple[1]), ReadTextOrNull(triple[2]));
        }

        return values;
    }

    private static void WriteTextOrNull(Utf8JsonWriter json, string? value)
    {
        if (value is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteStringValue(StoredText.Escape(value));
        }
    }

    private static string? ReadTextOrNull(JsonElement element) => element.ValueKind == JsonValueKind.Null ? null : StoredText.Unescape(element.GetString());
}
