using System.Globalization;
using Commerce.Jobs.Dashboard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using OpenQA.Selenium;

namespace Commerce.Jobs.Dashboard.Tests.Browser;

/// <summary>
/// The definition form in a real headless Chromium: edit a job's interval and batch size, see the new next run and the
/// override source, see a refused value's message by its field, reset to declared. Elements are found by their
/// <c>data-</c> attributes only; the host's clock is a FakeTimeProvider at 2026-11-23 08:00 UTC.
/// </summary>
public sealed class DefinitionBrowserTests(ChromiumBrowser browser) : IClassFixture<ChromiumBrowser>
{
    private const string Form = "[data-definition-form]";
    private static readonly DateTimeOffset Start = new(2026, 11, 23, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Editing_interval_and_batch_size_moves_the_next_run_shows_overrides_refuses_a_bad_value_by_its_field_and_resets()
    {
        await using var host = await DashboardHost.StartAsync();
        Open(host);
        WaitForNextRun("order-submit", Start.AddMinutes(5));

        Click("[data-job-edit=\"order-submit\"]", "the Edit button of order-submit");
        browser.WaitUntil(_ => Script<bool>($"const f = document.querySelector('{Form}'); return !!f && f.open;"), because: "the definition form to open");
        browser.WaitUntil(_ => Value("Interval") == "00:05:00" && Source("Interval") == "code", because: "the interval as the code declared it");
        Assert.Equal("100", Value("BatchSize"));
        Assert.True(Script<bool>($"return document.querySelector('{Field("RunOnSchedule")} [data-field-input]').checked;"));
        Assert.Equal(JobDefinitionFields.All, Script<IReadOnlyCollection<object>>($"return [...document.querySelectorAll('{Form} [data-field]')].map(r => r.dataset.field);").Cast<string>());

        // Edit two fields and save: both become overrides, and the job's next run moves to the new interval's first fire.
        Type("Interval", "00:01:00");
        Type("BatchSize", "250");
        Click("[data-definition-save]", "the Save button");
        browser.WaitUntil(_ => Source("Interval") == "override" && Source("BatchSize") == "override", because: "the edited fields to show as overrides");
        Assert.Equal("code", Source("MaxConcurrency"));
        Assert.Equal("00:01:00", Value("Interval"));
        Assert.Equal("250", Value("BatchSize"));
        WaitForNextRun("order-submit", Start.AddMinutes(1));
        browser.WaitUntil(_ => Text("[data-definition-next-run]") is { Length: > 1 } text && text != "—", because: "the form to show the next run");

        // A refused value: its message by its field, the status says nothing was saved, the override in force stays.
        Type("BatchSize", "-5");
        Click("[data-definition-save]", "the Save button with a negative batch size");
        browser.WaitUntil(
            _ => (Text(Field("BatchSize") + " [data-field-error]") ?? "").Contains("BatchSize must be between 1 and 100000 (was -5)", StringComparison.Ordinal),
            because: "the refusal's message by the BatchSize field");
        Assert.Equal(string.Empty, Text(Field("Interval") + " [data-field-error]"));
        Assert.StartsWith("Not saved.", Text("[data-definition-status]"), StringComparison.Ordinal);
        Assert.Equal("override", Source("BatchSize"));

        // Reset to declared: every field from the code again, and the next run back on the declared interval.
        Click("[data-definition-reset]", "the Reset to declared button");
        browser.WaitUntil(_ => Value("Interval") == "00:05:00" && Value("BatchSize") == "100", because: "the declared values");
        Assert.Equal(["code"], Script<IReadOnlyCollection<object>>($"return [...new Set([...document.querySelectorAll('{Form} [data-field-source]')].map(s => s.textContent))];").Cast<string>());
        WaitForNextRun("order-submit", Start.AddMinutes(5));
        Assert.Equal(string.Empty, Text(Field("BatchSize") + " [data-field-error]"));

        string[] errors = [.. browser.TakeConsoleErrors()];
        Assert.True(errors.All(e => e.Contains("400", StringComparison.Ordinal)), "Only the refused request is logged: " + string.Join(Environment.NewLine, errors));
        Assert.Equal(0L, Script<long>("return document.querySelectorAll('body script, body img').length;"));
    }

    [Fact]
    public async Task A_daily_time_is_shown_with_its_time_zone_a_stale_form_is_reloaded_with_a_message_and_a_field_resets_alone()
    {
        await using var host = await DashboardHost.StartAsync();
        Open(host);

        Click("[data-job-edit=\"erp-health\"]", "the Edit button of erp-health");
        browser.WaitUntil(_ => Value("DailyAt") == "02:00", because: "erp-health's daily time");
        var zone = Text(Field("DailyAt") + " [data-field-zone]") ?? "";
        Assert.StartsWith(" in ", zone, StringComparison.Ordinal);
        Assert.True(zone.Length > " in ".Length, $"The daily time names its zone: '{zone}'.");
        Assert.EndsWith($"({zone[" in ".Length..]})", Text("[data-definition-next-run]"), StringComparison.Ordinal);

        // Someone else changes the definition meanwhile: saving this form is refused (412), and the form shows what is in force now.
        using var other = await host.CreateSessionAsync();
        using var change = await other.PutAsync("/jobs/api/jobs/erp-health/definition", new StringContent("""{"DailyAt":"03:30"}""", System.Text.Encoding.UTF8, "application/json"));
        Assert.True(change.IsSuccessStatusCode, await change.Content.ReadAsStringAsync());
        Type("BatchSize", "42");
        Click("[data-definition-save]", "the Save button of a stale form");
        browser.WaitUntil(_ => Value("DailyAt") == "03:30" && Source("DailyAt") == "override", because: "the form to show the other change");
        Assert.Contains("changed meanwhile", Text("[data-definition-status]"), StringComparison.Ordinal);
        Assert.Equal("100", Value("BatchSize"));

        // A field's own reset puts that field back to its declared value.
        Click(Field("DailyAt") + " [data-field-reset]", "the reset button of DailyAt");
        browser.WaitUntil(_ => Value("DailyAt") == "02:00" && Source("DailyAt") == "code", because: "DailyAt back to the code's 02:00");
    }

    [Fact]
    public async Task The_form_lists_the_jobs_last_changes_newest_first_with_when_who_and_old_and_new_values_as_text()
    {
        const string Top = Form + " [data-changes] [data-change]";
        const string Hostile = "<script>window.__xss = 3</script><img src=x onerror=\"window.__xss = 4\"> & \u00fc";
        await using var host = await DashboardHost.StartAsync();
        Open(host);

        Click("[data-job-edit=\"order-submit\"]", "the Edit button of order-submit");
        browser.WaitUntil(_ => Value("Interval") == "00:05:00", because: "the definition form with the declared interval");
        browser.WaitUntil(_ => Text(Form + " [data-changes-status]") == "No changes recorded yet.", because: "an empty list of changes");
        Assert.Equal(0, Count(Top));

        // A save: the update is listed at once, with its time (and zone), who (nobody signed in here) and the old → new value.
        Type("Interval", "00:01:00");
        Click("[data-definition-save]", "the Save button");
        browser.WaitUntil(_ => Text(Top + " [data-change-action]") == "update", because: "the update at the top of the changes");
        Assert.Equal("Interval: 00:05:00 → 00:01:00", Text(Top + " [data-change-value=\"Interval\"]"));
        Assert.Equal(("00:05:00", "00:01:00"), (Text(Top + " [data-change-value=\"Interval\"] [data-change-old]"), Text(Top + " [data-change-value=\"Interval\"] [data-change-new]")));
        Assert.Equal("unknown", Text(Top + " [data-change-by]"));
        Assert.Equal(Script<string>($"return new Date('{Start.UtcDateTime:yyyy-MM-ddTHH:mm:ss}Z').toLocaleString(undefined, {{ timeZoneName: 'short' }});"), Text(Top + " [data-change-at]"));
        Assert.Equal(1, Count(Top));

        // A pause from the page: the form, opened again, lists it first.
        host.Time.Advance(TimeSpan.FromMinutes(1));
        Click("[data-definition-close]", "the Close button");
        Click("[data-job=\"order-submit\"] [data-action=\"pause\"]", "the Pause button of order-submit");
        browser.WaitUntil(_ => Count("[data-job=\"order-submit\"] [data-action=\"resume\"]") == 1, because: "order-submit to show as paused");
        Click("[data-job-edit=\"order-submit\"]", "the Edit button of order-submit again");
        browser.WaitUntil(_ => Text(Top + " [data-change-action]") == "pause" && Count(Top) == 2, because: "the pause at the top of the changes");
        Assert.Equal("paused: false → true", Text(Top + " [data-change-value=\"paused\"]"));
        Assert.Equal("update", Script<string>($"return document.querySelectorAll('{Js(Top)}')[1].querySelector('[data-change-action]').textContent;"));

        // A change made elsewhere while the form is open (an actor holding markup) shows with the next refresh, as text.
        host.Time.Advance(TimeSpan.FromMinutes(1));
        host.App.Services.GetRequiredService<IJobControl>().Resume("order-submit", Hostile);
        browser.WaitUntil(_ => Text(Top + " [data-change-action]") == "resume", because: "the resume made elsewhere at the top of the changes");
        Assert.Equal(Hostile, Text(Top + " [data-change-by]"));
        Assert.Equal("paused: true → false", Text(Top + " [data-change-value=\"paused\"]"));
        Assert.Equal(3, Count(Top));
        Assert.Equal(0L, Script<long>("return document.querySelectorAll('body script, body img').length;"));
        Assert.True(Script<bool>("return window.__xss === undefined;"));
        Assert.Empty(browser.TakeConsoleErrors());
    }

    private static string Field(string name) => $"{Form} [data-field=\"{name}\"]";

    private static string Js(string text) => text.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("'", "\\'", StringComparison.Ordinal);

    private void Open(DashboardHost host)
    {
        browser.Reset();
        browser.GoTo(host.DashboardUrl.ToString());
        browser.WaitUntil(_ => Count("#jobs-body tr[data-job]") > 0, because: "the job rows");
    }

    private string? Value(string field) => Script<string?>($"const e = document.querySelector('{Js(Field(field))} [data-field-input]'); return e ? e.value : null;");

    private string? Source(string field) => Text(Field(field) + " [data-field-source]");

    private void Type(string field, string text)
    {
        var input = browser.WaitFor(d => d.FindElement(By.CssSelector(Field(field) + " [data-field-input]")), because: $"the {field} input");
        input.Clear();
        input.SendKeys(text);
    }

    private void WaitForNextRun(string job, DateTimeOffset expected) =>
        browser.WaitUntil(
            _ => Script<string?>($"const e = document.querySelector('[data-job=\"{job}\"] [data-next-run]'); return e ? e.dataset.nextRun : null;") is { Length: > 0 } text
                 && DateTimeOffset.Parse(text, CultureInfo.InvariantCulture) == expected,
            because: $"{job}'s next run to be {expected:O}");

    private T Script<T>(string script) => (T)((IJavaScriptExecutor)browser.Driver).ExecuteScript(script)!;

    private string? Text(string selector) =>
        ((IJavaScriptExecutor)browser.Driver).ExecuteScript($"const e = document.querySelector('{Js(selector)}'); return e ? e.textContent : null;") as string;

    private int Count(string selector) => (int)Script<long>($"return document.querySelectorAll('{Js(selector)}').length;");

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
}
