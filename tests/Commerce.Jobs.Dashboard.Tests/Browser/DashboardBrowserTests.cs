using System.Globalization;
using Commerce.Jobs.Dashboard.Tests.TestSupport;
using OpenQA.Selenium;

namespace Commerce.Jobs.Dashboard.Tests.Browser;

/// <summary>
/// The dashboard page in a real headless Chromium against the app on Kestrel: the page renders what the API says, its
/// buttons drive the API, server text (errors, log lines) stays text under the page's strict Content-Security-Policy,
/// and the authorization policy guards the page itself. Every wait polls the DOM; nothing sleeps.
/// </summary>
public sealed class DashboardBrowserTests(ChromiumBrowser browser) : IClassFixture<ChromiumBrowser>
{
    private const string SubmitJob = "order-submit";
    private const string ErpJob = "erp-health";

    [Fact]
    public async Task Opening_the_dashboard_shows_jobs_schedules_targets_and_entity_sync()
    {
        await using var host = await DashboardHost.StartAsync();
        Open(host);

        WaitForText(JobCell(SubmitJob, "schedule"), "every 5 minutes");
        WaitForText(JobCell(SubmitJob, "state") + " .badge", "Idle");
        WaitForText(JobCell(SubmitJob, "last-run"), "never");
        WaitForText(JobCell(ErpJob, "schedule"), "daily at 02:00");
        WaitForText(JobCell("slow-export", "schedule"), "manual");
        WaitForText("#targets-body tr[data-target=\"search\"] td[data-field=health] .badge", "Healthy");
        WaitForText("#entity-body tr[data-entity-type=\"categories\"] td:first-child", "categories");
        browser.WaitUntil(_ => Script<bool>("return !document.getElementById('entity-sync').hidden;"), because: "the entity sync panel to show");
        browser.WaitUntil(_ => (Text("#status") ?? "").StartsWith("Updated ", StringComparison.Ordinal), because: "the status to say when the page was updated");

        Assert.Equal("Commerce.Jobs", Text("#title"));
        Assert.Equal("Commerce.Jobs", browser.Driver.Title);
        Assert.Equal(
            ["erp-health", "inventory-upload", "order-submit", "slow-export"],
            Script<IReadOnlyCollection<object>>("return [...document.querySelectorAll('#jobs-body tr[data-job]')].map(r => r.dataset.job);").Cast<string>());
        Assert.True(Script<bool>("return document.getElementById('history').hidden;"), "No history is shown before a job is chosen.");
        Assert.True(Script<bool>("return document.getElementById('message').hidden;"), "No message is shown before an action.");
        Assert.Equal(["categories"], Script<IReadOnlyCollection<object>>("return [...document.querySelectorAll('#sync-ids-type option')].map(o => o.value);").Cast<string>());
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Run_now_opens_the_history_with_the_succeeded_run_and_its_log_shown_as_text()
    {
        await using var host = await DashboardHost.StartAsync();
        Open(host);

        Click(JobButton(SubmitJob, "run"), "the Run now button of order-submit");

        var message = WaitForMessage($"of {SubmitJob}: Succeeded.");
        Assert.StartsWith("Run ", message, StringComparison.Ordinal);
        var runId = message.Split(' ')[1];
        Assert.True(Guid.TryParse(runId, CultureInfo.InvariantCulture, out _), $"The message names the run: '{message}'.");
        Assert.False(Script<bool>("return document.getElementById('message').classList.contains('error');"));

        browser.WaitUntil(_ => Script<bool>("return !document.getElementById('history').hidden;"), because: "the history section to open");
        Assert.Equal(SubmitJob, Text("#history-job"));
        var run = $"#runs-body tr[data-run=\"{runId}\"]";
        WaitForText(run + " td[data-field=outcome] .badge", "Succeeded");
        WaitForText(run + " td[data-field=trigger]", "Queued");
        WaitForText(JobCell(SubmitJob, "last-run") + " .badge", "Succeeded");
        WaitForText(run + " button[data-action=log]", "View log (1)");

        Click(run + " button[data-action=log]", "the View log button");
        var log = $"#runs-body tr[data-log-for=\"{runId}\"] pre.log";
        browser.WaitUntil(_ => (Text(log) ?? "").Contains(DashboardHost.SubmitLogLine, StringComparison.Ordinal), because: "the log line, as text");
        WaitForText(run + " button[data-action=log]", "Hide log");
        // The markup in the log line is text, not elements; the log stays open across the periodic refreshes.
        Assert.Equal(0L, Script<long>($"return document.querySelectorAll('{Js(log)} b, #runs-body b').length;"));
        Assert.Contains("Information: " + DashboardHost.SubmitLogLine, Text(log), StringComparison.Ordinal);
        WaitForRefreshes(1);
        Assert.Contains(DashboardHost.SubmitLogLine, Text(log), StringComparison.Ordinal);

        Click(run + " button[data-action=log]", "the Hide log button");
        browser.WaitUntil(_ => Count($"#runs-body tr[data-log-for=\"{runId}\"]") == 0, because: "the log to close");

        Click("#history-close", "the close button of the history");
        browser.WaitUntil(_ => Script<bool>("return document.getElementById('history').hidden;"), because: "the history to close");
        WaitForRefreshes(1);
        Assert.True(Script<bool>("return document.getElementById('history').hidden;"), "A closed history stays closed across refreshes.");
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_failed_run_shows_its_error_as_text_and_runs_no_script()
    {
        await using var host = await DashboardHost.StartAsync();
        Open(host);

        Click(JobButton(ErpJob, "history"), "the History button of erp-health");
        browser.WaitUntil(_ => Script<bool>("return !document.getElementById('history').hidden && !document.getElementById('runs-empty').hidden;"), because: "the empty history of erp-health");
        Assert.Equal(ErpJob, Text("#history-job"));

        Click(JobButton(ErpJob, "run"), "the Run now button of erp-health");
        var message = WaitForMessage($"of {ErpJob}: Failed ({DashboardHost.ErpError}).");
        Assert.True(Script<bool>("return document.getElementById('message').classList.contains('error') === false;"), "A run that ran is not a failed request.");

        var runId = message.Split(' ')[1];
        var run = $"#runs-body tr[data-run=\"{runId}\"]";
        WaitForText(run + " td[data-field=outcome] .badge", "Failed");
        WaitForText(run + " td[data-field=error]", DashboardHost.ErpError);
        WaitForText(JobCell(ErpJob, "last-run") + " .badge", "Failed");
        Assert.True(Script<bool>("return document.getElementById('runs-empty').hidden;"));

        // The error went into the message, the history and (once more runs fail) the job row: all as text.
        Click(JobButton(ErpJob, "run"), "the Run now button of erp-health, again");
        browser.WaitUntil(_ => Count("#runs-body tr[data-run]") == 2, because: "the second failed run in the history");
        WaitForText(JobCell(ErpJob, "last-run") + " .error", "2 failures in a row");

        Assert.Equal(0L, Script<long>("return document.querySelectorAll('body script, body img').length;"));
        Assert.Equal(1L, Script<long>("return document.scripts.length;"));
        Assert.True(Script<bool>("return window.__xss === undefined;"), "The error's script must not run.");
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task A_history_answer_that_arrives_late_does_not_reopen_a_closed_history_or_show_under_another_job()
    {
        await using var host = await DashboardHost.StartAsync();
        Open(host);
        Click(JobButton(SubmitJob, "run"), "the Run now button of order-submit");
        WaitForMessage($"of {SubmitJob}: Succeeded.");
        browser.WaitUntil(_ => Count("#runs-body tr[data-run]") == 1, because: "the run of order-submit in the history");

        // Hold the next answer for order-submit's runs, then close the history while it is outstanding.
        HoldNextRunsAnswer(SubmitJob);
        browser.WaitUntil(_ => Script<bool>("return window.__held.pending;"), because: "a refresh to ask for the runs");
        Click("#history-close", "the close button of the history");
        Script<object?>("window.__held.release(); return null;");
        WaitForRefreshes(1);
        Assert.True(Script<bool>("return document.getElementById('history').hidden;"), "The late answer reopened the closed history.");

        // The same with another job chosen meanwhile: erp-health's header never sits over order-submit's runs.
        Click(JobButton(SubmitJob, "history"), "the History button of order-submit");
        browser.WaitUntil(_ => Count("#runs-body tr[data-run]") == 1, because: "order-submit's run");
        HoldNextRunsAnswer(SubmitJob);
        browser.WaitUntil(_ => Script<bool>("return window.__held.pending;"), because: "a refresh to ask for the runs");
        Click(JobButton(ErpJob, "history"), "the History button of erp-health");
        Script<object?>("""
            window.__mixed = false;
            new MutationObserver(() => {
              if (document.getElementById('history-job').textContent === 'erp-health' && document.querySelector('#runs-body tr[data-run]')) window.__mixed = true;
            }).observe(document.getElementById('history'), { childList: true, characterData: true, subtree: true });
            window.__held.release();
            return null;
            """);
        WaitForRefreshes(2);
        Assert.False(Script<bool>("return window.__mixed;"), "order-submit's runs were shown under erp-health.");
        Assert.Equal(ErpJob, Text("#history-job"));
        Assert.Equal(0, Count("#runs-body tr[data-run]"));
        Assert.False(Script<bool>("return document.getElementById('runs-empty').hidden;"));
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Pause_resume_disable_and_enable_change_the_state_and_the_buttons()
    {
        await using var host = await DashboardHost.StartAsync();
        Open(host);
        var state = JobCell(SubmitJob, "state") + " .badge";
        WaitForText(state, "Idle");

        Click(JobButton(SubmitJob, "pause"), "the Pause button of order-submit");
        WaitForText(state, "Paused");
        WaitForText(JobButton(SubmitJob, "resume"), "Resume");
        Assert.Equal(0, Count(JobButton(SubmitJob, "pause")));
        WaitForMessage($"Paused {SubmitJob}.");

        Click(JobButton(SubmitJob, "resume"), "the Resume button of order-submit");
        WaitForText(state, "Idle");
        WaitForText(JobButton(SubmitJob, "pause"), "Pause");
        WaitForMessage($"Resumed {SubmitJob}.");

        Click(JobButton(SubmitJob, "disable"), "the Disable button of order-submit");
        WaitForText(state, "Disabled");
        WaitForText(JobButton(SubmitJob, "enable"), "Enable");
        browser.WaitUntil(_ => IsDisabled(JobButton(SubmitJob, "run")) && IsDisabled(JobButton(SubmitJob, "pause")), because: "Run now and Pause to be disabled");
        WaitForMessage($"Disabled {SubmitJob}.");
        // Other jobs are untouched.
        WaitForText(JobCell(ErpJob, "state") + " .badge", "Idle");
        Assert.False(IsDisabled(JobButton(ErpJob, "run")));

        Click(JobButton(SubmitJob, "enable"), "the Enable button of order-submit");
        WaitForText(state, "Idle");
        WaitForText(JobButton(SubmitJob, "disable"), "Disable");
        browser.WaitUntil(_ => !IsDisabled(JobButton(SubmitJob, "run")) && !IsDisabled(JobButton(SubmitJob, "pause")), because: "Run now and Pause to be enabled again");
        WaitForMessage($"Enabled {SubmitJob}.");
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task With_a_policy_the_page_is_refused_without_the_right_user_and_works_for_an_admin()
    {
        await using var host = await DashboardHost.StartAsync(DashboardSecurityMode.Policy);
        browser.Reset();
        browser.GoTo(host.DashboardUrl.ToString());
        AssertRefused(401);

        SetUser(host, "mallory");
        browser.GoTo(host.DashboardUrl.ToString());
        AssertRefused(403);

        SetUser(host, "admin");
        browser.GoTo(host.DashboardUrl.ToString());
        WaitForText(JobCell(SubmitJob, "schedule"), "every 5 minutes");
        WaitForText("#entity-body tr[data-entity-type=\"categories\"] td:first-child", "categories");

        // The admin's actions pass the policy and the antiforgery check.
        Click(JobButton(SubmitJob, "pause"), "the Pause button of order-submit");
        WaitForText(JobCell(SubmitJob, "state") + " .badge", "Paused");
        AssertNoConsoleErrors();
    }

    [Fact]
    public async Task Entity_sync_pauses_resumes_and_syncs_ids_from_the_form()
    {
        await using var host = await DashboardHost.StartAsync();
        Open(host);
        const string Row = "#entity-body tr[data-entity-type=\"categories\"]";
        WaitForText(Row + " td[data-field=targets] div[data-target=\"search\"]", "search: ", prefix: true);
        browser.WaitUntil(_ => Count(Row + " td[data-field=settings] .badge") == 0, because: "categories not to be paused yet");

        Click(Row + " button[data-action=pause]", "the Pause button of categories");
        WaitForText(Row + " td[data-field=settings] .badge", "Paused");
        WaitForText(Row + " button[data-action=resume]", "Resume");
        WaitForMessage("Paused categories.");

        Click(Row + " button[data-action=resume]", "the Resume button of categories");
        browser.WaitUntil(_ => Count(Row + " td[data-field=settings] .badge") == 0, because: "the Paused badge to go");
        WaitForText(Row + " button[data-action=pause]", "Pause");
        WaitForMessage("Resumed categories.");

        var ids = browser.WaitFor(d => d.FindElement(By.Id("sync-ids")), because: "the ids box");
        ids.SendKeys("shoes, hats");
        Click("#sync-ids-form button[type=submit]", "the Sync ids button");
        WaitForMessage("Queued 2 of 2 categories for delivery.");
        browser.WaitUntil(_ => Script<string>("return document.getElementById('sync-ids').value;") == "", because: "the ids box to clear");
        Assert.Equal(host.DashboardUrl.ToString(), browser.Driver.Url);

        // An empty request is refused by the API and said as an error, not sent as a form.
        Click("#sync-ids-form button[type=submit]", "the Sync ids button with no ids");
        WaitForMessage("400: 'ids' must list 1 to 1000 entity ids to sync.");
        Assert.True(Script<bool>("return document.getElementById('message').classList.contains('error');"));
        string[] errors = [.. browser.TakeConsoleErrors()];
        Assert.True(errors.All(e => e.Contains("400", StringComparison.Ordinal)), "Only the refused request is logged: " + string.Join(Environment.NewLine, errors));
    }

    [Fact]
    public async Task Filtering_by_name_and_state_narrows_the_jobs_table()
    {
        await using var host = await DashboardHost.StartAsync();
        Open(host);
        WaitForText("#jobs-count", "Showing 1–4 of 4");

        browser.Driver.FindElement(By.Id("jobs-search")).SendKeys("ORDER");
        browser.WaitUntil(_ => Count("#jobs-body tr[data-job]") == 1 && Count($"#jobs-body tr[data-job=\"{SubmitJob}\"]") == 1, because: "only order-submit to match 'ORDER'");
        WaitForText("#jobs-count", "Showing 1–1 of 1");

        browser.Driver.FindElement(By.Id("jobs-search")).Clear();
        Script<object?>("const s = document.getElementById('jobs-state'); s.value = 'Paused'; s.dispatchEvent(new Event('change'));");
        WaitForText("#jobs-count", "No job matches.");
        AssertNoConsoleErrors();
    }

    private static string JobCell(string job, string field) => $"#jobs-body tr[data-job=\"{job}\"] td[data-field={field}]";

    private static string JobButton(string job, string action) => $"#jobs-body tr[data-job=\"{job}\"] td.actions button[data-action={action}]";

    /// <summary>Escapes a selector for a single-quoted JavaScript string.</summary>
    private static string Js(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);

    private void Open(DashboardHost host)
    {
        browser.Reset();
        browser.GoTo(host.DashboardUrl.ToString());
        browser.WaitUntil(_ => Count("#jobs-body tr[data-job]") > 0, because: "the job rows");
    }

    private void SetUser(DashboardHost host, string user)
    {
        // A cookie can be set only on a page of its site that loaded: the health check is outside the policy.
        browser.GoTo(new Uri(host.BaseAddress, "/healthz").ToString());
        ICookieJar cookies = browser.Driver.Manage().Cookies;
        cookies.DeleteAllCookies();
        cookies.AddCookie(new Cookie("test-user", user, "/"));
        browser.TakeConsoleErrors();
    }

    private void AssertRefused(int status)
    {
        browser.WaitUntil(_ => Script<string>("return document.readyState;") == "complete", because: "the refused page to load");
        Assert.Equal(0, Count("#jobs-table"));
        var text = Script<string>("return document.body ? document.body.innerText : '';");
        Assert.DoesNotContain("Delivery targets", text, StringComparison.Ordinal);
        IReadOnlyList<string> errors = browser.TakeConsoleErrors();
        Assert.Contains(errors, e => e.Contains(status.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal));
    }

    private T Script<T>(string script) => (T)((IJavaScriptExecutor)browser.Driver).ExecuteScript(script)!;

    /// <summary>The element's textContent, read atomically (the page re-renders every second), or null when absent.</summary>
    private string? Text(string selector) =>
        ((IJavaScriptExecutor)browser.Driver).ExecuteScript($"const e = document.querySelector('{Js(selector)}'); return e ? e.textContent : null;") as string;

    private int Count(string selector) => (int)Script<long>($"return document.querySelectorAll('{Js(selector)}').length;");

    private bool IsDisabled(string selector) => Script<bool>($"const e = document.querySelector('{Js(selector)}'); return !!e && e.disabled;");

    private void WaitForText(string selector, string expected, bool prefix = false) =>
        browser.WaitUntil(
            _ => Text(selector) is { } text && (prefix ? text.StartsWith(expected, StringComparison.Ordinal) : text == expected),
            because: $"'{selector}' to {(prefix ? "start with" : "read")} \"{expected}\"");

    /// <summary>Waits for #message to show and end with <paramref name="ending"/>; returns its text.</summary>
    private string WaitForMessage(string ending)
    {
        string? message = null;
        browser.WaitUntil(
            _ => !Script<bool>("return document.getElementById('message').hidden;")
                 && (message = Text("#message")) is { } text && text.EndsWith(ending, StringComparison.Ordinal),
            because: $"the message to end with \"{ending}\"");
        return message!;
    }

    /// <summary>Clicks the element once it is there and enabled (re-finding it when a refresh replaced it).</summary>
    private void Click(string selector, string what) =>
        browser.WaitUntil(d =>
        {
            var element = d.FindElement(By.CssSelector(selector));
            if (!element.Displayed || !element.Enabled)
            {
                return false;
            }

            element.Click();
            return true;
        }, because: what + " to be clickable");

    /// <summary>Waits for the page to finish <paramref name="count"/> more refreshes (each one rewrites #status).</summary>
    private void WaitForRefreshes(int count)
    {
        const string Counter = """
            const status = document.getElementById('status');
            if (!status.refreshes) {
              status.refreshes = { count: 0 };
              new MutationObserver(() => status.refreshes.count++).observe(status, { childList: true, characterData: true, subtree: true });
            }
            return status.refreshes.count;
            """;
        var start = Script<long>(Counter);
        browser.WaitUntil(_ => Script<long>(Counter) >= start + count, because: $"{count} refreshes of the page");
    }

    /// <summary>
    /// Wraps the page's fetch (test scripts are not subject to the page's CSP) so that the next request for
    /// <paramref name="job"/>'s runs is answered only when the test calls <c>window.__held.release()</c>.
    /// </summary>
    private void HoldNextRunsAnswer(string job) =>
        Script<object?>($$"""
            const original = window.__originalFetch || (window.__originalFetch = window.fetch);
            let release;
            const gate = new Promise((resolve) => { release = resolve; });
            window.__held = { pending: false, release };
            window.fetch = async (input, init) => {
              const url = String(input);
              if (!window.__held.pending && url.includes('/api/jobs/{{Uri.EscapeDataString(job)}}/runs')) {
                window.__held.pending = true;
                window.fetch = original;
                const response = await original(input, init);
                await gate;
                return response;
              }
              return original(input, init);
            };
            return null;
            """);

    private void AssertNoConsoleErrors()
    {
        IReadOnlyList<string> errors = browser.TakeConsoleErrors();
        Assert.True(errors.Count == 0, "Console errors: " + string.Join(Environment.NewLine, errors));
    }
}
