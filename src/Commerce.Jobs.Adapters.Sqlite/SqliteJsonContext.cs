using System.Text.Json;
using System.Text.Json.Serialization;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>
/// How the store writes a run's log and reads entity payloads: source-generated, camelCase,
/// enums by name, every string through <see cref="StoredText"/> (JSON cannot carry a lone surrogate).
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true, Converters = [typeof(StoredTextJsonConverter)])]
[JsonSerializable(typeof(IReadOnlyList<JobLogEntry>))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class SqliteJsonContext : JsonSerializerContext;
