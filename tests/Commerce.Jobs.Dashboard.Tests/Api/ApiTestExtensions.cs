using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Commerce.Jobs.Dashboard.Tests.TestSupport;

namespace Commerce.Jobs.Dashboard.Tests.Api;

internal static class ApiTestExtensions
{
    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"Expected {(int)expected} but got {(int)response.StatusCode}: {text}");
        return string.IsNullOrEmpty(text) ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Reads a problem-details answer and checks its status and media type.</summary>
    public static async Task<JsonElement> ReadProblemAsync(this HttpResponseMessage response, HttpStatusCode expected)
    {
        var problem = await response.ReadJsonAsync(expected);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        return problem;
    }

    public static Task<HttpResponseMessage> PostAsync(this HttpClient client, string path) => client.PostAsync(path, content: null);

    public static Task<HttpResponseMessage> PutJsonAsync(this HttpClient client, string path, object body) => client.PutAsJsonAsync(path, body);

    public static JsonElement Job(this JsonElement overview, string name) =>
        overview.GetProperty("jobs").EnumerateArray().Single(j => j.GetProperty("name").GetString() == name);

    /// <summary>Polls a run's address while it answers 202 (pending) until the run is recorded (200); bounded.</summary>
    public static async Task<JsonElement> WaitForRunAsync(this HttpClient client, string location)
    {
        var deadline = DateTime.UtcNow + DashboardHost.Patience;
        while (true)
        {
            using var response = await client.GetAsync(location);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return await response.ReadJsonAsync(HttpStatusCode.OK);
            }

            var pending = await response.ReadJsonAsync(HttpStatusCode.Accepted);
            Assert.Equal("Pending", pending.GetProperty("status").GetString());
            Assert.True(DateTime.UtcNow < deadline, $"run {location} was not recorded within {DashboardHost.Patience}");
            await Task.Delay(20);
        }
    }
}
