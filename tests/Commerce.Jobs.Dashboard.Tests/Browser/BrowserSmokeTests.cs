using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenQA.Selenium;

namespace Commerce.Jobs.Dashboard.Tests.Browser;

/// <summary>
/// Proves the browser-test stack end to end: Kestrel on a free 127.0.0.1 port, the system headless Chromium, a page
/// whose external script (no inline script: the dashboard's Content-Security-Policy will forbid it) fetches JSON and
/// renders it.
/// </summary>
public sealed class BrowserSmokeTests(ChromiumBrowser browser) : IClassFixture<ChromiumBrowser>
{
    private const string Page = """
        <!DOCTYPE html>
        <html lang="en">
        <head><meta charset="utf-8"><title>Smoke</title><script src="/app.js" defer></script></head>
        <body>
          <button id="load" type="button">Load</button>
          <p id="result">(nothing yet)</p>
        </body>
        </html>
        """;

    private const string Script = """
        document.getElementById('load').addEventListener('click', async () => {
          const result = document.getElementById('result');
          try {
            const response = await fetch('/api/ping', { headers: { 'Accept': 'application/json' } });
            const body = await response.json();
            result.textContent = 'pong ' + body.token;
          } catch (e) {
            result.textContent = 'error ' + e;
          }
        });
        """;

    [Fact]
    public async Task Page_script_fetches_json_and_renders_it()
    {
        string token = Guid.NewGuid().ToString("N");
        await using WebApplication app = await StartServerAsync(token);
        string baseUrl = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>()
            .Addresses.Single();

        browser.Reset();
        browser.GoTo(baseUrl + "/");
        IWebElement button = browser.WaitFor(d => d.FindElement(By.Id("load")), because: "the Load button");
        button.Click();

        browser.WaitUntil(
            d => d.FindElement(By.Id("result")).Text == "pong " + token,
            because: "the fetched token to be rendered in #result");
        Assert.Empty(browser.TakeConsoleErrors());
    }

    private static async Task<WebApplication> StartServerAsync(string token)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();

        WebApplication app = builder.Build();
        app.Use(async (context, next) =>
        {
            // The policy the dashboard will ship with: no inline script, same-origin fetch only.
            context.Response.Headers.ContentSecurityPolicy = "default-src 'self'";
            await next(context);
        });
        app.MapGet("/", () => Results.Content(Page, "text/html; charset=utf-8"));
        app.MapGet("/app.js", () => Results.Content(Script, "text/javascript; charset=utf-8"));
        app.MapGet("/api/ping", () => Results.Json(new Dictionary<string, string> { ["token"] = token }));
        app.MapGet("/favicon.ico", () => Results.NoContent());

        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        return app;
    }
}
