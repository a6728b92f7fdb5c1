using System.Globalization;
using Commerce.Jobs.Dashboard.Tests.TestSupport;
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
