using System.Net;
using Commerce.Jobs.Dashboard.Tests.TestSupport;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Dashboard.Tests.Api;

/// <summary>The job's audit trail over HTTP: who paused or resumed it (the authenticated user), when, and old → new.</summary>
public sealed class ChangesApiTests
{
    [Fact]
    public async Task A_pause_over_HTTP_records_the_authenticated_user_and_the_changes_read_newest_first()
    {
        await using var host = await DashboardHost.StartAsync(DashboardSecurityMode.Policy);
        using var admin = await host.CreateSessionAsync(user: "admin");
        var empty = await (await admin.GetAsync("/jobs/api/jobs/order-submit/changes")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(0, empty.GetArrayLength());

        await (await admin.PostAsync("/jobs/api/jobs/order-submit/pause")).ReadJsonAsync(HttpStatusCode.OK);
        host.Time.Advance(TimeSpan.FromMinutes(1));
        await (await admin.PostAsync("/jobs/api/jobs/ORDER-SUBMIT/resume")).ReadJsonAsync(HttpStatusCode.OK);

        var changes = await (await admin.GetAsync("/jobs/api/jobs/order-submit/changes?limit=10")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(2, changes.GetArrayLength());
        var resume = changes[0];
        Assert.Equal("job", resume.GetProperty("kind").GetString());
        Assert.Equal("order-submit", resume.GetProperty("name").GetString());
        Assert.Equal("resume", resume.GetProperty("action").GetString());
        Assert.Equal("admin", resume.GetProperty("changedBy").GetString());
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 8, 1, 0, TimeSpan.Zero), resume.GetProperty("changedAt").GetDateTimeOffset());
        var value = Assert.Single(resume.GetProperty("values").EnumerateArray());
        Assert.Equal(("paused", "true", "false"), (value.GetProperty("field").GetString(), value.GetProperty("oldValue").GetString(), value.GetProperty("newValue").GetString()));
        var pause = changes[1];
        Assert.Equal(("pause", "admin"), (pause.GetProperty("action").GetString(), pause.GetProperty("changedBy").GetString()));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero), pause.GetProperty("changedAt").GetDateTimeOffset());

        var newest = await (await admin.GetAsync("/jobs/api/jobs/order-submit/changes?limit=1")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("resume", Assert.Single(newest.EnumerateArray()).GetProperty("action").GetString());
    }

    [Fact]
    public async Task Without_an_authenticated_user_the_change_is_recorded_with_no_actor()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        await (await client.PostAsync("/jobs/api/jobs/erp-health/disable")).ReadJsonAsync(HttpStatusCode.OK);

        var change = Assert.Single((await (await client.GetAsync("/jobs/api/jobs/erp-health/changes")).ReadJsonAsync(HttpStatusCode.OK)).EnumerateArray());
        Assert.Equal("disable", change.GetProperty("action").GetString());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, change.GetProperty("changedBy").ValueKind);
    }

    [Fact]
    public async Task Entity_sync_changes_over_HTTP_record_the_authenticated_user()
    {
        await using var host = await DashboardHost.StartAsync(DashboardSecurityMode.Policy);
        using var admin = await host.CreateSessionAsync(user: "admin");

        await (await admin.PutJsonAsync("/jobs/api/entity-sync/buyers", new { targets = new[] { "search" } })).ReadJsonAsync(HttpStatusCode.OK);
        await (await admin.PostAsync("/jobs/api/entity-sync/buyers/pause")).ReadJsonAsync(HttpStatusCode.OK);
        await (await admin.PostAsync("/jobs/api/entity-sync/buyers/resume")).ReadJsonAsync(HttpStatusCode.OK);
        await (await admin.PostAsync("/jobs/api/entity-sync/pause-all")).ReadJsonAsync(HttpStatusCode.OK);
        await (await admin.PostAsync("/jobs/api/entity-sync/resume-all")).ReadJsonAsync(HttpStatusCode.OK);
        using (var deleted = await admin.DeleteAsync("/jobs/api/entity-sync/buyers"))
        {
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        }

        var log = host.App.Services.GetRequiredService<IOperatorChangeLog>();
        var changes = await log.GetChangesAsync(OperatorStateKinds.EntitySync, "buyers", 10, default);

        Assert.Equal(["delete", "resume", "pause", "resume", "pause", "update"], changes.Select(c => c.Action));
        Assert.All(changes, c => Assert.Equal("admin", c.ChangedBy));
        var categories = await log.GetChangesAsync(OperatorStateKinds.EntitySync, "categories", 10, default);
        Assert.Equal([("resume", "admin"), ("pause", "admin")], categories.Select(c => (c.Action, c.ChangedBy)));
    }

    [Theory]
    [InlineData("/jobs/api/jobs/order-submit/changes?limit=0", HttpStatusCode.BadRequest)]
    [InlineData("/jobs/api/jobs/order-submit/changes?limit=101", HttpStatusCode.BadRequest)]
    [InlineData("/jobs/api/jobs/no-such-job/changes", HttpStatusCode.NotFound)]
    public async Task A_bad_limit_or_an_unknown_job_is_refused_with_a_problem(string path, HttpStatusCode expected)
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = host.CreateClient();

        var problem = await (await client.GetAsync(path)).ReadProblemAsync(expected);

        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
    }
}
