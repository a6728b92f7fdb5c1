using System.Text.Json;
using System.Text.Json.Serialization;

namespace Commerce.Jobs.Adapters.Sqlite;

/// <summary>How the store writes a run's log and entity-sync configurations and reads entity payloads: source-generated, camelCase, enums by name.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, UseStringEnumConverter = true)]
[JsonSerializable(typeof(IReadOnlyList<JobLogEntry>))]
[JsonSerializable(typeof(JsonElement))]
[JsonSerializable(typeof(EntitySyncConfiguration))]
internal sealed partial class SqliteJsonContext : JsonSerializerContext;
