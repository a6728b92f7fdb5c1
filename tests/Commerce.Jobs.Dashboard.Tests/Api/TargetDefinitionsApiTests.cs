using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Commerce.Jobs.Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Dashboard.Tests.Api;

/// <summary>A delivery target's health settings through the management API (<c>api/targets/{name}/definition</c>), on a real Kestrel server on 127.0.0.1.</summary>
public sealed class TargetDefinitionsApiTests
{
    [Fact]
    public async Task Get_put_and_delete_carry_the_version_as_an_etag_and_a_stale_if_match_is_412()
    {
        await using var host = await DashboardHost.StartAsync(DashboardSecurityMode.Policy);
        using var client = await host.CreateSessionAsync(user: "admin");

        using var got = await client.GetAsync("/jobs/api/targets/search/definition");
        var declared = await got.ReadJsonAsync(HttpStatusCode.OK);
        var etag = got.Headers.ETag;
        Assert.NotNull(etag);
        Assert.Equal($"\"{declared.GetProperty("version").GetString()}\"", etag.Tag);
        Assert.Equal("search", declared.GetProperty("targetName").GetString());
        Assert.Equal(TargetDefinitionFields.All, declared.GetProperty("fields").EnumerateArray().Select(f => f.GetProperty("name").GetString()));
        Assert.Equal(("0.1", "Code"), Field(declared, TargetDefinitionFields.FailureRatio));

        using var put = await Send(client, HttpMethod.Put, "/jobs/api/targets/search/definition", new { FailureRatio = 0.5, BreakDuration = "00:02:00" }, etag.Tag);
        var changed = await put.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(("0.5", "Override"), Field(changed, TargetDefinitionFields.FailureRatio));
        Assert.Equal(("00:02:00", "Override"), Field(changed, TargetDefinitionFields.BreakDuration));
        Assert.Equal("admin", changed.GetProperty("changedBy").GetString());
        Assert.NotEqual(etag, put.Headers.ETag);
        var rules = host.App.Services.GetRequiredService<IJobDefinitions>().GetTarget("search");
        Assert.Equal("0.5", rules[TargetDefinitionFields.FailureRatio].Value);

        // The version the change was made against is gone: refused, nothing changed.
        using var stale = await Send(client, HttpMethod.Put, "/jobs/api/targets/search/definition", new { FailureRatio = "0.9" }, etag.Tag);
        var problem = await stale.ReadProblemAsync(HttpStatusCode.PreconditionFailed);
        Assert.Contains("Target 'search'", problem.GetProperty("detail").GetString());
        Assert.Equal(put.Headers.ETag, stale.Headers.ETag);
        using var staleReset = await Send(client, HttpMethod.Delete, "/jobs/api/targets/search/definition", null, etag.Tag);
        await staleReset.ReadProblemAsync(HttpStatusCode.PreconditionFailed);

        // A field set to null goes back to its declared value; the rest stays.
        using var partial = await Send(client, HttpMethod.Put, "/jobs/api/targets/search/definition", new Dictionary<string, object?> { ["FailureRatio"] = null }, put.Headers.ETag!.Tag);
        var back = await partial.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(("0.1", "Code"), Field(back, TargetDefinitionFields.FailureRatio));
        Assert.Equal(("00:02:00", "Override"), Field(back, TargetDefinitionFields.BreakDuration));

        using var reset = await Send(client, HttpMethod.Delete, "/jobs/api/targets/search/definition", null, partial.Headers.ETag!.Tag);
        var declaredAgain = await reset.ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(declared.GetProperty("version").GetString(), declaredAgain.GetProperty("version").GetString());
        Assert.All(declaredAgain.GetProperty("fields").EnumerateArray(), f => Assert.Equal("Code", f.GetProperty("source").GetString()));

        // Without If-Match a change applies to whatever is in force.
        using var blind = await Send(client, HttpMethod.Put, "/jobs/api/targets/search/definition", new { MinimumThroughput = "20" }, ifMatch: null);
        Assert.Equal(("20", "Override"), Field(await blind.ReadJsonAsync(HttpStatusCode.OK), TargetDefinitionFields.MinimumThroughput));
    }

    [Fact]
    public async Task An_invalid_change_is_a_400_problem_naming_the_target_and_the_setting_and_nothing_changes()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();
        var before = await (await client.GetAsync("/jobs/api/targets/search/definition")).ReadJsonAsync(HttpStatusCode.OK);

        using var invalid = await Send(client, HttpMethod.Put, "/jobs/api/targets/search/definition", new { FailureRatio = 5, BreakDuration = "00:01:00" }, ifMatch: null);
        var problem = await invalid.ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(["Target 'search': FailureRatio must be between 0.01 and 1 (was 5)."], problem.GetProperty("errors").EnumerateArray().Select(e => e.GetString()));

        using var unknown = await Send(client, HttpMethod.Put, "/jobs/api/targets/search/definition", new { MaxConcurrency = 8 }, ifMatch: null);
        Assert.Contains("'maxConcurrency' is not a setting that can change at run time", (await unknown.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("detail").GetString());

        using var hostile = await Send(client, HttpMethod.Put, "/jobs/api/targets/search/definition", new Dictionary<string, object?> { ["BreakDuration"] = "\r\n\0" + new string('x', 100_000) + "\ud800" }, ifMatch: null);
        var hostileProblem = await hostile.ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(hostileProblem.GetProperty("detail").GetString()!.Length < 1000);

        foreach (var raw in new[] { "{\"BreakDuration\": \"\\ud800\"}", "{\"\\udc00\": \"00:01:00\"}", "[1]", "null" })
        {
            using var content = new StringContent(raw, Encoding.UTF8, "application/json");
            await (await client.PutAsync("/jobs/api/targets/search/definition", content)).ReadProblemAsync(HttpStatusCode.BadRequest);
        }

        using var array = await Send(client, HttpMethod.Put, "/jobs/api/targets/search/definition", new { FailureRatio = new[] { 0.5 } }, ifMatch: null);
        await array.ReadProblemAsync(HttpStatusCode.BadRequest);
        using var empty = await Send(client, HttpMethod.Put, "/jobs/api/targets/search/definition", new { }, ifMatch: null);
        await empty.ReadProblemAsync(HttpStatusCode.BadRequest);
        using var malformed = new StringContent("{\"FailureRatio\": ", Encoding.UTF8, "application/json");
        await (await client.PutAsync("/jobs/api/targets/search/definition", malformed)).ReadProblemAsync(HttpStatusCode.BadRequest);
        using var text = new StringContent("FailureRatio=0.5", Encoding.UTF8, "text/plain");
        await (await client.PutAsync("/jobs/api/targets/search/definition", text)).ReadProblemAsync(HttpStatusCode.UnsupportedMediaType);

        var after = await (await client.GetAsync("/jobs/api/targets/search/definition")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(before.GetProperty("version").GetString(), after.GetProperty("version").GetString());
    }

    [Fact]
    public async Task An_undeclared_target_is_404_and_a_change_needs_the_antiforgery_token()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        await (await client.GetAsync("/jobs/api/targets/nowhere/definition")).ReadProblemAsync(HttpStatusCode.NotFound);
        using var put = await Send(client, HttpMethod.Put, "/jobs/api/targets/nowhere/definition", new { FailureRatio = 0.5 }, ifMatch: null);
        Assert.Contains("'nowhere'", (await put.ReadProblemAsync(HttpStatusCode.NotFound)).GetProperty("detail").GetString());
        using var delete = await Send(client, HttpMethod.Delete, "/jobs/api/targets/nowhere/definition", null, ifMatch: null);
        await delete.ReadProblemAsync(HttpStatusCode.NotFound);

        using var tokenless = host.CreateClient();
        using var refused = await tokenless.PutAsJsonAsync("/jobs/api/targets/search/definition", new { FailureRatio = 0.5 });
        Assert.Equal("Antiforgery token missing or invalid", (await refused.ReadProblemAsync(HttpStatusCode.BadRequest)).GetProperty("title").GetString());
        Assert.Equal("0.1", host.App.Services.GetRequiredService<IJobDefinitions>().GetTarget("search")[TargetDefinitionFields.FailureRatio].Value);
    }

    private static (string?, string?) Field(JsonElement definition, string name)
    {
        var field = definition.GetProperty("fields").EnumerateArray().Single(f => f.GetProperty("name").GetString() == name);
        return (field.GetProperty("value").GetString(), field.GetProperty("source").GetString());
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string path, object? body, string? ifMatch)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        if (ifMatch is not null)
        {
            request.Headers.IfMatch.Add(new EntityTagHeaderValue(ifMatch));
        }

        return client.SendAsync(request);
    }
}
