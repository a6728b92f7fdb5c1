using System.Net;
using Commerce.Jobs.Dashboard.Tests.TestSupport;

namespace Commerce.Jobs.Dashboard.Tests.Api;

/// <summary>The embedded page and its assets as served.</summary>
public sealed class PageTests
{
    [Fact]
    public async Task The_prefix_redirects_to_the_page_which_is_served_with_a_strict_content_security_policy()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = host.CreateClient();

        using var redirect = await client.GetAsync("/jobs");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/jobs/", redirect.Headers.Location?.OriginalString);

        using var page = await client.GetAsync("/jobs/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var csp = page.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self'", csp);
        Assert.DoesNotContain("unsafe-inline", csp);
        Assert.Contains("frame-ancestors 'none'", csp);
        Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<script src=\"dashboard.js\" defer></script>", html);
        Assert.DoesNotContain("<script>", html);
    }

    [Theory]
    [InlineData("/jobs/dashboard.js", "text/javascript")]
    [InlineData("/jobs/dashboard.css", "text/css")]
    public async Task Assets_are_served_from_the_assembly_with_an_etag(string path, string mediaType)
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = host.CreateClient();

        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(mediaType, response.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(response.Headers.ETag);

        using var again = new HttpRequestMessage(HttpMethod.Get, path);
        again.Headers.IfNoneMatch.Add(response.Headers.ETag);
        using var notModified = await client.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
    }

    [Fact]
    public async Task The_script_writes_server_values_as_text_only()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = host.CreateClient();

        var script = await client.GetStringAsync("/jobs/dashboard.js");

        // Markup sinks, as code (the file's comment may name them).
        foreach (var sink in new[] { @"\.innerHTML\s*=", @"\.outerHTML\s*=", @"insertAdjacentHTML\(", @"document\.write", @"\beval\(", @"new Function\(" })
        {
            Assert.DoesNotMatch(sink, script);
        }
    }
}
