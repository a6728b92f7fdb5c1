using System.Text.Json;
using System.Text.Json.Serialization;

namespace Commerce.Jobs.Dashboard;

/// <summary>The API's own JSON settings (web defaults, enums as names), independent of the host's.</summary>
internal static class DashboardJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };
}
