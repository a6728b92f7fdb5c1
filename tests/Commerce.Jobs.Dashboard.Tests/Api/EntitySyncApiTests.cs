using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Commerce.Jobs.Dashboard.Tests.TestSupport;

namespace Commerce.Jobs.Dashboard.Tests.Api;

/// <summary>The entity-sync part of the management API, against the app on a real Kestrel server on 127.0.0.1.</summary>
public sealed class EntitySyncApiTests
{
    [Fact]
    public async Task Lists_gets_puts_and_deletes_configurations()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        var overview = await (await client.GetAsync("/jobs/api/entity-sync")).ReadJsonAsync(HttpStatusCode.OK);
        var categories = Assert.Single(overview.GetProperty("configurations").EnumerateArray());
        Assert.Equal("categories", categories.GetProperty("entityType").GetString());
        Assert.Equal(["search"], categories.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
        Assert.Equal("search", Assert.Single(overview.GetProperty("statuses").EnumerateArray()).GetProperty("targetName").GetString());

        var put = await (await client.PutJsonAsync("/jobs/api/entity-sync/buyers", new { targets = new[] { "search" }, incrementalSync = false })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("buyers", put.GetProperty("entityType").GetString());
        Assert.False(put.GetProperty("incrementalSync").GetBoolean());
        Assert.True(put.GetProperty("enabled").GetBoolean());

        var got = await (await client.GetAsync("/jobs/api/entity-sync/buyers")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False(got.GetProperty("incrementalSync").GetBoolean());
        var status = await (await client.GetAsync("/jobs/api/entity-sync/buyers/status")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("search", Assert.Single(status.EnumerateArray()).GetProperty("targetName").GetString());

        using var deleted = await client.DeleteAsync("/jobs/api/entity-sync/buyers");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        await (await client.GetAsync("/jobs/api/entity-sync/buyers")).ReadProblemAsync(HttpStatusCode.NotFound);
        await (await client.DeleteAsync("/jobs/api/entity-sync/buyers")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_bad_configuration_is_400_with_problem_details_and_nothing_changes()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        var unknownTarget = await (await client.PutJsonAsync("/jobs/api/entity-sync/categories", new { targets = new[] { "nowhere" } })).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("nowhere", unknownTarget.GetProperty("detail").GetString());

        var noTargets = await (await client.PutJsonAsync("/jobs/api/entity-sync/categories", new { enabled = true })).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("'targets'", noTargets.GetProperty("detail").GetString());

        var mismatch = await (await client.PutJsonAsync("/jobs/api/entity-sync/categories", new { entityType = "buyers", targets = new[] { "search" } })).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("'buyers'", mismatch.GetProperty("detail").GetString());

        var badName = await (await client.PutJsonAsync("/jobs/api/entity-sync/has%20space", new { targets = new[] { "search" } })).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("has space", badName.GetProperty("detail").GetString());

        using var malformed = new StringContent("{\"targets\": [", Encoding.UTF8, "application/json");
        await (await client.PutAsync("/jobs/api/entity-sync/categories", malformed)).ReadProblemAsync(HttpStatusCode.BadRequest);

        using var text = new StringContent("targets=search", Encoding.UTF8, "text/plain");
        await (await client.PutAsync("/jobs/api/entity-sync/categories", text)).ReadProblemAsync(HttpStatusCode.UnsupportedMediaType);

        var unchanged = await (await client.GetAsync("/jobs/api/entity-sync/categories")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(["search"], unchanged.GetProperty("targets").EnumerateArray().Select(t => t.GetString()));
    }

    [Fact]
    public async Task Puts_delivery_settings_and_refuses_a_bad_one_with_the_start_up_message()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        var put = await (await client.PutJsonAsync("/jobs/api/entity-sync/categories", new { targets = new[] { "search" }, batchSize = 50, retrySkippedAfter = "00:05:00" })).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(50, put.GetProperty("batchSize").GetInt32());
        Assert.Equal("00:05:00", put.GetProperty("retrySkippedAfter").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, put.GetProperty("maxRetries").ValueKind);

        var refused = await (await client.PutJsonAsync("/jobs/api/entity-sync/categories", new { targets = new[] { "search" }, batchSize = 0 })).ReadProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("Entity sync 'categories': BatchSize must be between 1 and 100000 (was 0).", refused.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var unchanged = await (await client.GetAsync("/jobs/api/entity-sync/categories")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(50, unchanged.GetProperty("batchSize").GetInt32());
        Assert.Equal("00:05:00", unchanged.GetProperty("retrySkippedAfter").GetString());
    }

    [Fact]
    public async Task Pause_and_resume_per_type_and_for_all_types()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        var paused = await (await client.PostAsync("/jobs/api/entity-sync/categories/pause")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(host.Time.GetUtcNow(), Assert.Single(paused.EnumerateArray()).GetProperty("pausedSince").GetDateTimeOffset());
        Assert.True((await (await client.GetAsync("/jobs/api/entity-sync/categories")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("paused").GetBoolean());

        var resumed = await (await client.PostAsync("/jobs/api/entity-sync/categories/resume")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(System.Text.Json.JsonValueKind.Null, Assert.Single(resumed.EnumerateArray()).GetProperty("pausedSince").ValueKind);

        await (await client.PostAsync("/jobs/api/entity-sync/pause-all")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.True((await (await client.GetAsync("/jobs/api/entity-sync/categories")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("paused").GetBoolean());
        await (await client.PostAsync("/jobs/api/entity-sync/resume-all")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.False((await (await client.GetAsync("/jobs/api/entity-sync/categories")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("paused").GetBoolean());

        await (await client.PostAsync("/jobs/api/entity-sync/buyers/pause")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Full_sync_and_targeted_sync_deliver_to_the_target()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        var targeted = await (await client.PostAsync("/jobs/api/entity-sync/categories/sync", Json("{\"ids\": [\"shoes\", \"hats\", \"shoes\", \" \"]}"))).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal(2, targeted.GetProperty("requested").GetInt32());
        Assert.Equal(2, targeted.GetProperty("queued").GetInt32());
        await WaitUntilAsync(() => host.Search.Records.Count == 2);

        await (await client.PostAsync("/jobs/api/entity-sync/categories/full-sync")).ReadJsonAsync(HttpStatusCode.Accepted);
        await WaitUntilAsync(() => host.Search.Records.Count == 3);

        await (await client.PostAsync("/jobs/api/entity-sync/categories/sync", Json("{\"ids\": []}"))).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsync("/jobs/api/entity-sync/categories/sync", Json("{}"))).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await client.PostAsync("/jobs/api/entity-sync/buyers/full-sync")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + DashboardHost.Patience;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"the target did not receive the entities within {DashboardHost.Patience}");
            await Task.Delay(20);
        }
    }
}
