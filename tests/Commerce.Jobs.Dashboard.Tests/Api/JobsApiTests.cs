using System.Net;
using System.Text.Json;
using Commerce.Jobs.Dashboard.Tests.TestSupport;

namespace Commerce.Jobs.Dashboard.Tests.Api;

/// <summary>The jobs part of the management API, against the app on a real Kestrel server on 127.0.0.1.</summary>
public sealed class JobsApiTests
{
    [Fact]
    public async Task Lists_jobs_with_state_schedule_in_words_next_run_last_outcome_counts_and_target_health()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        var overview = await (await client.GetAsync("/jobs/api/jobs")).ReadJsonAsync(HttpStatusCode.OK);

        Assert.Equal(["erp-health", "inventory-upload", "order-submit", "slow-export"], overview.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("name").GetString()));
        var submit = overview.Job("order-submit");
        Assert.Equal("Idle", submit.GetProperty("state").GetString());
        Assert.Equal("every 5 minutes", submit.GetProperty("schedule").GetString());
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 8, 5, 0, TimeSpan.Zero), submit.GetProperty("nextRun").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, submit.GetProperty("lastRun").ValueKind);
        Assert.Equal("daily at 02:00", overview.Job("erp-health").GetProperty("schedule").GetString());
        Assert.Equal("manual", overview.Job("slow-export").GetProperty("schedule").GetString());
        var target = Assert.Single(overview.GetProperty("targets").EnumerateArray());
        Assert.Equal("search", target.GetProperty("targetName").GetString());
        Assert.Equal("Healthy", target.GetProperty("state").GetString());

        host.Inventory.AddRange([new("sku-1", 4), new("sku-2", 0), new("sku-3", 9)]);
        var run = await (await client.PostAsync("/jobs/api/jobs/inventory-upload/run?wait=30")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Succeeded", run.GetProperty("outcome").GetString());

        var upload = (await (await client.GetAsync("/jobs/api/jobs")).ReadJsonAsync(HttpStatusCode.OK)).Job("inventory-upload");
        Assert.Equal("Succeeded", upload.GetProperty("lastRun").GetProperty("outcome").GetString());
        Assert.Equal(3, upload.GetProperty("lastRun").GetProperty("counts").GetProperty("delivered").GetInt64());
        Assert.Equal(3, upload.GetProperty("totalCounts").GetProperty("read").GetInt64());
        Assert.Equal(1, upload.GetProperty("runCount").GetInt64());
    }

    [Fact]
    public async Task Run_now_returns_the_run_id_at_once_and_the_run_is_recorded_under_it_with_its_log()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        using var response = await client.PostAsync("/jobs/api/jobs/order-submit/run");
        var started = await response.ReadJsonAsync(HttpStatusCode.Accepted);
        var runId = started.GetProperty("runId").GetGuid();
        Assert.Equal($"/jobs/api/jobs/order-submit/runs/{runId}", response.Headers.Location?.OriginalString);

        var run = await client.WaitForRunAsync(response.Headers.Location!.OriginalString);
        Assert.Equal(runId, run.GetProperty("runId").GetGuid());
        Assert.Equal("Queued", run.GetProperty("trigger").GetString());
        Assert.Equal("Succeeded", run.GetProperty("outcome").GetString());
        Assert.Contains(run.GetProperty("log").EnumerateArray(), l => l.GetProperty("message").GetString() == DashboardHost.SubmitLogLine);

        var history = await (await client.GetAsync("/jobs/api/jobs/order-submit/runs?limit=5")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(runId, Assert.Single(history.EnumerateArray()).GetProperty("runId").GetGuid());
    }

    [Fact]
    public async Task Awaited_run_answers_with_the_outcome_or_with_202_when_the_wait_ends_first()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        var failed = await (await client.PostAsync("/jobs/api/jobs/erp-health/run?wait=30")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Finished", failed.GetProperty("status").GetString());
        Assert.Equal("Failed", failed.GetProperty("outcome").GetString());
        Assert.Equal(DashboardHost.ErpError, failed.GetProperty("error").GetString());

        // The slow job waits on a gate: the request waits 5 s of the host's (fake) clock, then answers 202.
        var pending = client.PostAsync("/jobs/api/jobs/slow-export/run?wait=5");
        await host.SlowStarted.Task.WaitAsync(DashboardHost.Patience);
        var deadline = DateTime.UtcNow + DashboardHost.Patience;
        while (!pending.IsCompleted)
        {
            // Until the request answers: its wait may be armed after an advance (bounded generously in real time).
            Assert.True(DateTime.UtcNow < deadline, $"the awaited run did not answer within {DashboardHost.Patience}");
            host.Time.Advance(TimeSpan.FromSeconds(5));
            await Task.WhenAny(pending, Task.Delay(10));
        }

        using var response = await pending;
        var started = await response.ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("Pending", started.GetProperty("status").GetString());
        Assert.Equal("Running", started.GetProperty("jobState").GetString());
        var polled = await (await client.GetAsync(response.Headers.Location!.OriginalString)).ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("Pending", polled.GetProperty("status").GetString());
        Assert.Equal("Running", polled.GetProperty("jobState").GetString());

        host.SlowGate.SetResult();
        var run = await client.WaitForRunAsync(response.Headers.Location!.OriginalString);
        Assert.Equal(started.GetProperty("runId").GetGuid(), run.GetProperty("runId").GetGuid());
        Assert.Equal("Succeeded", run.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Pause_resume_enable_and_disable_change_the_state_and_a_disabled_job_refuses_to_run()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        var paused = await (await client.PostAsync("/jobs/api/jobs/order-submit/pause")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Paused", paused.GetProperty("state").GetString());
        var resumed = await (await client.PostAsync("/jobs/api/jobs/order-submit/resume")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Idle", resumed.GetProperty("state").GetString());

        var disabled = await (await client.PostAsync("/jobs/api/jobs/order-submit/disable")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Disabled", disabled.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, disabled.GetProperty("nextRun").ValueKind);
        var refused = await (await client.PostAsync("/jobs/api/jobs/order-submit/run")).ReadProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("disabled", refused.GetProperty("detail").GetString());

        var enabled = await (await client.PostAsync("/jobs/api/jobs/order-submit/enable")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Idle", enabled.GetProperty("state").GetString());
        await (await client.PostAsync("/jobs/api/jobs/order-submit/run?wait=30")).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("GET", "/jobs/api/jobs/no-such-job")]
    [InlineData("GET", "/jobs/api/jobs/no-such-job/runs")]
    [InlineData("POST", "/jobs/api/jobs/no-such-job/run")]
    [InlineData("POST", "/jobs/api/jobs/no-such-job/pause")]
    [InlineData("POST", "/jobs/api/jobs/no-such-job/resume")]
    [InlineData("POST", "/jobs/api/jobs/no-such-job/enable")]
    [InlineData("POST", "/jobs/api/jobs/no-such-job/disable")]
    public async Task An_unknown_job_is_404_with_problem_details(string method, string path)
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        var problem = await (await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path))).ReadProblemAsync(HttpStatusCode.NotFound);

        Assert.Equal("No job named 'no-such-job' is registered.", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("/jobs/api/jobs/order-submit/run?wait=-1")]
    [InlineData("/jobs/api/jobs/order-submit/run?wait=301")]
    public async Task A_wait_out_of_range_is_400(string path)
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        var problem = await (await client.PostAsync(path)).ReadProblemAsync(HttpStatusCode.BadRequest);

        Assert.Contains("'wait'", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_history_limit_out_of_range_is_400_and_an_unknown_run_is_404()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();

        await (await client.GetAsync("/jobs/api/jobs/order-submit/runs?limit=0")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync("/jobs/api/jobs/order-submit/runs?limit=201")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync($"/jobs/api/jobs/order-submit/runs/{Guid.NewGuid()}")).ReadProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Api_answers_are_not_cached()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = host.CreateClient();

        using var response = await client.GetAsync("/jobs/api/jobs");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(response.Headers.CacheControl?.NoStore);
    }

    [Fact]
    public async Task A_run_asked_for_while_the_job_is_paused_is_pending_and_gone_when_the_job_is_disabled_first()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();
        await (await client.PostAsync("/jobs/api/jobs/order-submit/pause")).ReadJsonAsync(HttpStatusCode.OK);

        using var response = await client.PostAsync("/jobs/api/jobs/order-submit/run");
        var held = await response.ReadJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("Pending", held.GetProperty("status").GetString());
        Assert.Equal("Paused", held.GetProperty("jobState").GetString());

        await (await client.PostAsync("/jobs/api/jobs/order-submit/disable")).ReadJsonAsync(HttpStatusCode.OK);
        var gone = await (await client.GetAsync(response.Headers.Location!.OriginalString)).ReadProblemAsync(HttpStatusCode.Gone);
        Assert.Contains("disabled", gone.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_run_address_honours_the_path_base_and_the_job_name_as_registered()
    {
        await using var host = await DashboardHost.StartAsync(pathBase: "/admin");
        using var client = await host.CreateSessionAsync(pathBase: "/admin");

        using var response = await client.PostAsync("/admin/jobs/api/jobs/ORDER-SUBMIT/run/");
        var started = await response.ReadJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal($"/admin/jobs/api/jobs/order-submit/runs/{started.GetProperty("runId").GetGuid()}", response.Headers.Location?.OriginalString);
        Assert.Equal("Succeeded", (await client.WaitForRunAsync(response.Headers.Location!.OriginalString)).GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Jobs_can_be_filtered_by_name_and_state_and_paged()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = await host.CreateSessionAsync();
        await (await client.PostAsync("/jobs/api/jobs/slow-export/pause")).ReadJsonAsync(HttpStatusCode.OK);

        var byName = await (await client.GetAsync("/jobs/api/jobs?search=ORDER")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(1, byName.GetProperty("total").GetInt32());
        Assert.Equal("order-submit", Assert.Single(byName.GetProperty("jobs").EnumerateArray()).GetProperty("name").GetString());

        var paused = await (await client.GetAsync("/jobs/api/jobs?state=paused")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("slow-export", Assert.Single(paused.GetProperty("jobs").EnumerateArray()).GetProperty("name").GetString());

        var page = await (await client.GetAsync("/jobs/api/jobs?offset=1&limit=2")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal(4, page.GetProperty("total").GetInt32());
        Assert.Equal(1, page.GetProperty("offset").GetInt32());
        Assert.Equal(["inventory-upload", "order-submit"], page.GetProperty("jobs").EnumerateArray().Select(j => j.GetProperty("name").GetString()));
        Assert.Single(page.GetProperty("targets").EnumerateArray());

        await (await client.GetAsync("/jobs/api/jobs?state=Sleeping")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync("/jobs/api/jobs?limit=0")).ReadProblemAsync(HttpStatusCode.BadRequest);
        await (await client.GetAsync("/jobs/api/jobs?offset=-1")).ReadProblemAsync(HttpStatusCode.BadRequest);
    }
}
