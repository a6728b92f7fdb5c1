using System.Text.Json;
using System.Text.Json.Serialization;

namespace Commerce.Jobs;

/// <summary>
/// Writes every string of a JSON document the store keeps (a run's log, an entity-sync configuration) through
/// <see cref="StoredText.Escape(string)"/> and reads it back through <see cref="StoredText.Unescape(string)"/>: JSON
/// cannot carry a lone surrogate (System.Text.Json writes U+FFFD) and PostgreSQL <c>jsonb</c> refuses <c>\u0000</c>.
/// </summary>
internal sealed class StoredTextJsonConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        StoredText.Unescape(reader.GetString());

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) =>
        writer.WriteStringValue(StoredText.Escape(value));
}
