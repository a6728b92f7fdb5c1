using System.Net;
using Commerce.Jobs.Dashboard.Tests.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Dashboard.Tests.Api;

/// <summary>Who may reach the dashboard, and how state changes are protected.</summary>
public sealed class SecurityTests
{
    [Fact]
    public void Mapping_without_a_policy_or_an_explicit_local_only_opt_in_is_refused()
    {
        var app = CreateApp(services => services.AddAntiforgery());

        var error = Assert.Throws<InvalidOperationException>(() => app.MapCommerceJobs("/jobs", _ => { }));

        Assert.Contains("AuthorizationPolicy", error.Message);
        Assert.Contains("LocalOnly = true", error.Message);
    }

    [Fact]
    public void Mapping_without_antiforgery_services_says_how_to_add_them()
    {
        var app = CreateApp(_ => { });

        var error = Assert.Throws<InvalidOperationException>(() => app.MapCommerceJobs("/jobs", o => o.LocalOnly = true));

        Assert.Contains("AddAntiforgery()", error.Message);
        app.MapCommerceJobs("/jobs", o => (o.LocalOnly, o.RequireAntiforgeryToken) = (true, false));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(7200)]
    public void A_refresh_interval_out_of_range_is_refused(int seconds)
    {
        var app = CreateApp(services => services.AddAntiforgery());

        var error = Assert.Throws<InvalidOperationException>(() => app.MapCommerceJobs("/jobs", o => (o.LocalOnly, o.RefreshInterval) = (true, TimeSpan.FromSeconds(seconds))));

        Assert.Contains("RefreshInterval", error.Message);
    }

    [Fact]
    public async Task With_a_policy_anonymous_and_unauthorized_users_are_refused_everywhere()
    {
        await using var host = await DashboardHost.StartAsync(DashboardSecurityMode.Policy);
        using var anonymous = host.CreateClient();
        using var mallory = host.CreateClient(user: "mallory");
        using var admin = await host.CreateSessionAsync(user: "admin");

        foreach (var path in new[] { "/jobs/", "/jobs/dashboard.js", "/jobs/api/dashboard", "/jobs/api/jobs", "/jobs/api/entity-sync" })
        {
            using var unauthenticated = await anonymous.GetAsync(path);
            Assert.Equal(HttpStatusCode.Unauthorized, unauthenticated.StatusCode);
            using var forbidden = await mallory.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
            using var allowed = await admin.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        }

        using var run = await anonymous.PostAsync("/jobs/api/jobs/order-submit/run");
        Assert.Equal(HttpStatusCode.Unauthorized, run.StatusCode);
        Assert.Equal(0, (await (await admin.GetAsync("/jobs/api/jobs/order-submit")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("runCount").GetInt64());
    }

    [Fact]
    public async Task State_changes_need_the_antiforgery_token_and_reads_do_not()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = host.CreateClient();

        await (await client.GetAsync("/jobs/api/jobs")).ReadJsonAsync(HttpStatusCode.OK);
        foreach (var (method, path) in new[] { ("POST", "/jobs/api/jobs/order-submit/run"), ("POST", "/jobs/api/jobs/order-submit/pause"), ("PUT", "/jobs/api/entity-sync/categories"), ("DELETE", "/jobs/api/entity-sync/categories"), ("POST", "/jobs/api/entity-sync/pause-all") })
        {
            var problem = await (await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path))).ReadProblemAsync(HttpStatusCode.BadRequest);
            Assert.Contains("antiforgery", problem.GetProperty("detail").GetString());
        }

        // A token from another session (cookie not matching) is refused as well.
        using var other = await host.CreateSessionAsync();
        var token = other.DefaultRequestHeaders.GetValues("RequestVerificationToken").Single();
        using var forged = new HttpRequestMessage(HttpMethod.Post, "/jobs/api/jobs/order-submit/pause");
        forged.Headers.Add("RequestVerificationToken", token);
        await (await client.SendAsync(forged)).ReadProblemAsync(HttpStatusCode.BadRequest);

        var overview = await (await client.GetAsync("/jobs/api/jobs")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.Equal("Idle", overview.Job("order-submit").GetProperty("state").GetString());
        Assert.Equal(0, overview.Job("order-submit").GetProperty("runCount").GetInt64());
    }

    [Fact]
    public async Task Local_only_refuses_a_foreign_host_name_and_proxied_requests_on_the_real_server()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = host.CreateClient();

        using var rebound = new HttpRequestMessage(HttpMethod.Get, "/jobs/api/jobs");
        rebound.Headers.Host = "attacker.example";
        var problem = await (await client.SendAsync(rebound)).ReadProblemAsync(HttpStatusCode.Forbidden);
        Assert.Contains("loopback name", problem.GetProperty("detail").GetString());

        using var proxied = new HttpRequestMessage(HttpMethod.Get, "/jobs/");
        proxied.Headers.Add("X-Forwarded-For", "203.0.113.7");
        await (await client.SendAsync(proxied)).ReadProblemAsync(HttpStatusCode.Forbidden);

        using var localhost = new HttpRequestMessage(HttpMethod.Get, "/jobs/api/jobs");
        localhost.Headers.Host = $"localhost:{host.BaseAddress.Port}";
        await (await client.SendAsync(localhost)).ReadJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Every_mapped_endpoint_is_guarded_by_the_policy_the_host_names()
    {
        await using var host = await DashboardHost.StartAsync(DashboardSecurityMode.Policy);
        using var anonymous = host.CreateClient();
        using var mallory = host.CreateClient(user: "mallory");

        var routes = DashboardRoutes(host);
        Assert.True(routes.Count >= 25, $"only {routes.Count} routes found");
        foreach (var (method, path) in routes)
        {
            using var unauthenticated = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.True(unauthenticated.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {unauthenticated.StatusCode}");
            using var forbidden = await mallory.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
            Assert.True(forbidden.StatusCode == HttpStatusCode.Forbidden, $"{method} {path}: {forbidden.StatusCode}");
        }
    }

    [Fact]
    public async Task Every_mapped_endpoint_refuses_foreign_host_names_and_every_state_change_needs_the_token()
    {
        await using var host = await DashboardHost.StartAsync();
        using var client = host.CreateClient();

        foreach (var (method, path) in DashboardRoutes(host))
        {
            using var rebound = new HttpRequestMessage(new HttpMethod(method), path);
            rebound.Headers.Host = "attacker.example";
            using var refused = await client.SendAsync(rebound);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{method} {path} from a foreign host name: {refused.StatusCode}");

            if (method != "GET")
            {
                using var tokenless = await client.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
                var problem = await tokenless.ReadProblemAsync(HttpStatusCode.BadRequest);
                Assert.True(problem.GetProperty("title").GetString() == "Antiforgery token missing or invalid", $"{method} {path}");
            }
        }

        var overview = await (await client.GetAsync("/jobs/api/jobs")).ReadJsonAsync(HttpStatusCode.OK);
        Assert.All(overview.GetProperty("jobs").EnumerateArray(), j => Assert.Equal(0, j.GetProperty("runCount").GetInt64()));
        Assert.Equal("categories", (await (await client.GetAsync("/jobs/api/entity-sync/categories")).ReadJsonAsync(HttpStatusCode.OK)).GetProperty("entityType").GetString());
    }

    [Fact]
    public void Mapping_with_a_policy_that_is_not_registered_is_refused()
    {
        var app = CreateApp(services => services.AddAntiforgery().AddAuthorization());

        var error = Assert.Throws<InvalidOperationException>(() => app.MapCommerceJobs("/jobs", o => o.AuthorizationPolicy = "jobs-admin"));

        Assert.Contains("no authorization policy named 'jobs-admin'", error.Message);
    }

    [Theory]
    [InlineData("10.1.2.3", "127.0.0.1", false)]
    [InlineData("192.168.0.10", "localhost", false)]
    [InlineData("127.0.0.1", "127.0.0.1", true)]
    [InlineData("127.0.0.1", "localhost", true)]
    [InlineData("::1", "[::1]", true)]
    [InlineData("::ffff:127.0.0.1", "localhost", true)]
    [InlineData("::ffff:10.0.0.1", "localhost", false)]
    [InlineData("127.0.0.1", "jobs.example.com", false)]
    public void Local_means_a_loopback_peer_addressing_a_loopback_name(string remote, string hostName, bool local)
    {
        // Non-loopback peers cannot reach a test server bound to 127.0.0.1, so the decision itself is checked here.
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(remote);
        context.Request.Host = new HostString(hostName);

        Assert.Equal(local, DashboardSecurity.WhyNotLocal(context) is null);
    }

    [Theory]
    [InlineData("Forwarded")]
    [InlineData("X-Forwarded-For")]
    [InlineData("X-Real-IP")]
    [InlineData("CF-Connecting-IP")]
    [InlineData("True-Client-IP")]
    [InlineData("X-Client-IP")]
    [InlineData("X-Cluster-Client-IP")]
    [InlineData("Fastly-Client-IP")]
    [InlineData("x-cluster-client-ip")]
    public void Local_only_refuses_a_loopback_request_a_proxy_forwarded(string header)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = System.Net.IPAddress.Loopback;
        context.Request.Host = new HostString("localhost");
        context.Request.Headers[header] = "203.0.113.7";

        Assert.Contains("forwarded by a proxy", DashboardSecurity.WhyNotLocal(context), StringComparison.Ordinal);
    }

    /// <summary>Every route the dashboard mapped, with its route values filled in: what a caller could try.</summary>
    private static List<(string Method, string Path)> DashboardRoutes(DashboardHost host) =>
        [.. host.App.Services.GetRequiredService<EndpointDataSource>().Endpoints
            .OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/jobs", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (m, e.RoutePattern.RawText!
                .Replace("{name}", "order-submit", StringComparison.Ordinal)
                .Replace("{type}", "categories", StringComparison.Ordinal)
                .Replace("{runId:guid}", Guid.NewGuid().ToString(), StringComparison.Ordinal))))];

    private static WebApplication CreateApp(Action<IServiceCollection> configure)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Services.AddCommerceJobs(jobs => jobs.AddJob("noop", static (_, _) => ValueTask.FromResult(JobResult.Success)));
        configure(builder.Services);
        return builder.Build();
    }
}
