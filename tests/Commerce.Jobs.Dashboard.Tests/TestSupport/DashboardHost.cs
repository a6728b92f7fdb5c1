using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text.Encodings.Web;
using Commerce.Jobs.Adapters;
using Commerce.Jobs.Dashboard.HealthChecks;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Commerce.Jobs.Dashboard.Tests.TestSupport;

/// <summary>How a test host secures its dashboard.</summary>
public enum DashboardSecurityMode
{
    /// <summary>Local-only access, no authorization policy.</summary>
    LocalOnly,

    /// <summary>The "jobs-admin" policy: the user named by the <c>test-user</c> cookie must be "admin".</summary>
    Policy,
}

/// <summary>
/// A real ASP.NET Core host on Kestrel at 127.0.0.1 (free port) with Commerce.Jobs, the dashboard mounted at /jobs and
/// a health check at /healthz. The engine runs on a <see cref="FakeTimeProvider"/>, so nothing fires unless a test asks.
/// </summary>
public sealed class DashboardHost : IAsyncDisposable
{
    public const string ErpError = "ERP answered 503 <script>window.__xss = 1</script><img src=x onerror=\"window.__xss = 2\">";
    public const string SubmitLogLine = "Submitted 3 orders to the ERP <b>not bold</b>";

    /// <summary>How long a test waits for an outcome in real time: generous, as the suite runs on busy shared machines.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromMinutes(1);

    private DashboardHost(WebApplication app, FakeTimeProvider time, InMemoryRecordSource<StockLevel> inventory, InMemoryTarget search)
    {
        App = app;
        Time = time;
        Inventory = inventory;
        Search = search;
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single());
    }

    public WebApplication App { get; }

    public FakeTimeProvider Time { get; }

    public InMemoryRecordSource<StockLevel> Inventory { get; }

    public InMemoryTarget Search { get; }

    /// <summary>Gets the gate the "slow-export" job waits on.</summary>
    public TaskCompletionSource SlowGate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Gets a task that completes when a "slow-export" run has started (and waits on <see cref="SlowGate"/>).</summary>
    public TaskCompletionSource SlowStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri BaseAddress { get; }

    public Uri DashboardUrl => new(BaseAddress, "/jobs/");

    public static async Task<DashboardHost> StartAsync(
        DashboardSecurityMode mode = DashboardSecurityMode.LocalOnly,
        Action<CommerceJobsDashboardOptions>? configure = null,
        Action<CommerceJobsHealthCheckOptions>? health = null,
        string? pathBase = null)
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 23, 8, 0, 0, TimeSpan.Zero));
        var inventory = new InMemoryRecordSource<StockLevel>(s => s.Sku);
        var search = new InMemoryTarget("search");
        DashboardHost? host = null;

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddAntiforgery();
        builder.Services.AddAuthentication(TestUserHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, TestUserHandler>(TestUserHandler.SchemeName, null);
        builder.Services.AddAuthorization(o => o.AddPolicy("jobs-admin", p => p.RequireAuthenticatedUser().RequireUserName("admin")));
        builder.Services.AddHealthChecks().AddCommerceJobs(health);
        builder.Services.AddCommerceJobs(jobs =>
        {
            jobs.AddTarget(search);
            jobs.AddJob("order-submit", static (context, _) =>
            {
                context.Log(JobLogLevel.Information, SubmitLogLine);
                return ValueTask.FromResult(JobResult.Success);
            }).Schedule(Schedule.Every(TimeSpan.FromMinutes(5)));
            jobs.AddJob("erp-health", static (_, _) => ValueTask.FromResult(JobResult.Failed(ErpError)))
                .Schedule(Schedule.DailyAt(new TimeOnly(2, 0)));
            jobs.AddJob("slow-export", async (_, cancellationToken) =>
            {
                host!.SlowStarted.TrySetResult();
                await host.SlowGate.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                return JobResult.Success;
            });
            jobs.AddRecordJob<StockLevel>("inventory-upload").ReadFrom(inventory).DeliverTo("search").WithKey(s => s.Sku).Batch(100);
            jobs.AddEntitySync("categories").DeliverTo("search").ReadFrom(new CategorySource());
        });

        var app = builder.Build();
        if (pathBase is not null)
        {
            app.UsePathBase(pathBase);
            app.UseRouting();
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.MapCommerceJobs("/jobs", dashboard =>
        {
            dashboard.RefreshInterval = TimeSpan.FromSeconds(1);
            if (mode == DashboardSecurityMode.Policy)
            {
                dashboard.AuthorizationPolicy = "jobs-admin";
            }
            else
            {
                dashboard.LocalOnly = true;
            }

            configure?.Invoke(dashboard);
        });
        app.MapHealthChecks("/healthz");
        await app.StartAsync().ConfigureAwait(false);
        host = new DashboardHost(app, time, inventory, search);
        return host;
    }

    /// <summary>A client for the host, with cookies, and (when <paramref name="user"/> is given) signed in as that user.</summary>
    public HttpClient CreateClient(string? user = null)
    {
        var cookies = new CookieContainer();
        if (user is not null)
        {
            cookies.Add(BaseAddress, new Cookie(TestUserHandler.Cookie, user));
        }

        var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>A client that fetched the dashboard session and sends its antiforgery token on every request.</summary>
    public async Task<HttpClient> CreateSessionAsync(string? user = null, string pathBase = "")
    {
        var client = CreateClient(user);
        var session = await client.GetFromJsonAsync<SessionDto>($"{pathBase}/jobs/api/dashboard").ConfigureAwait(false);
        client.DefaultRequestHeaders.Add(session!.AntiforgeryHeaderName!, session.AntiforgeryToken);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        SlowGate.TrySetResult();
        await App.StopAsync().ConfigureAwait(false);
        await App.DisposeAsync().ConfigureAwait(false);
    }

    public sealed record SessionDto(string Title, double RefreshIntervalMs, string? AntiforgeryHeaderName, string? AntiforgeryToken, bool EntitySync);

    public sealed record StockLevel(string Sku, int Quantity);

    /// <summary>The categories the host's catalog holds: three, at version 1.</summary>
    private sealed class CategorySource : IEntitySource
    {
        public IAsyncEnumerable<EntityChange> ReadAllAsync(string entityType, CancellationToken cancellationToken) =>
            ReadAsync(entityType, ["shoes", "hats", "bags"], cancellationToken);

        public async IAsyncEnumerable<EntityChange> ReadAsync(string entityType, IReadOnlyCollection<string> ids, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            foreach (var id in ids)
            {
                await Task.Yield();
                yield return EntityChange.Upsert(entityType, id, new { name = id }, 1);
            }
        }
    }

    /// <summary>Signs in the user named by the <c>test-user</c> cookie; no cookie, no user (401).</summary>
    private sealed class TestUserHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
        : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
    {
        public const string SchemeName = "test";
        public const string Cookie = "test-user";

        protected override Task<AuthenticateResult> HandleAuthenticateAsync()
        {
            if (!Request.Cookies.TryGetValue(Cookie, out var user) || string.IsNullOrEmpty(user))
            {
                return Task.FromResult(AuthenticateResult.NoResult());
            }

            var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, user)], SchemeName);
            return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName)));
        }
    }
}
