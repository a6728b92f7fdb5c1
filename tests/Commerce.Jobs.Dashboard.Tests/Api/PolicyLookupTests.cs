using System.Net;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Dashboard.Tests.Api;

/// <summary>
/// Mapping the dashboard never blocks on the authorization policy lookup: a provider that answers asynchronously is not
/// waited for (its policy protects the endpoints once it answers), and a policy it does not know is refused on each
/// request, naming it. (A provider that answers at once, as the default one, still refuses a missing policy at mapping:
/// <see cref="SecurityTests.Mapping_with_a_policy_that_is_not_registered_is_refused"/>.)
/// </summary>
public sealed class PolicyLookupTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Mapping_does_not_wait_for_a_policy_provider_that_answers_later_and_its_policy_then_applies()
    {
        var provider = new AsyncPolicyProvider(new AuthorizationOptions());
        await using var app = CreateApp(provider, o => o.AddPolicy("jobs-admin", p => p.RequireAssertion(c => c.Resource is HttpContext h && h.Request.Headers.ContainsKey("X-Admin"))));
        app.UseAuthorization();
        try
        {
            // Before: the lookup was awaited by blocking the mapping thread, here until the gate opened.
            await Task.Run(() => app.MapCommerceJobs("/jobs", d => d.AuthorizationPolicy = "jobs-admin")).WaitAsync(Patience);
        }
        finally
        {
            provider.Gate.TrySetResult();
        }

        await app.StartAsync();
        using var client = CreateClient(app);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/jobs/api/jobs");
        request.Headers.Add("X-Admin", "yes");
        using var allowed = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.True(provider.Lookups("jobs-admin") >= 2, "mapping and the request looked the policy up");
    }

    [Fact]
    public async Task A_policy_an_asynchronous_provider_does_not_know_is_refused_on_each_request_naming_it()
    {
        var provider = new AsyncPolicyProvider(new AuthorizationOptions());
        await using var app = CreateApp(provider, _ => { });
        var failures = new List<Exception>();
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception ex)
            {
                lock (failures)
                {
                    failures.Add(ex);
                }

                throw;
            }
        });
        app.UseRouting();
        app.UseAuthorization();

        try
        {
            // The lookup is still in progress while mapping: not waited for (before, the mapping blocked here).
            await Task.Run(() => app.MapCommerceJobs("/jobs", d => d.AuthorizationPolicy = "jobs-admin")).WaitAsync(Patience);
        }
        finally
        {
            provider.Gate.TrySetResult();
        }

        await app.StartAsync();
        using var client = CreateClient(app);

        foreach (var path in new[] { "/jobs/api/jobs", "/jobs/" })
        {
            using var refused = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.InternalServerError, refused.StatusCode);
        }

        lock (failures)
        {
            Assert.Equal(2, failures.Count);
            Assert.All(failures, f => Assert.Contains("'jobs-admin'", f.Message));
        }
    }

    private static WebApplication CreateApp(AsyncPolicyProvider provider, Action<AuthorizationOptions> policies)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.AddAntiforgery();
        builder.Services.AddAuthorization(policies);
        builder.Services.AddSingleton<IAuthorizationPolicyProvider>(sp => provider.Using(sp.GetRequiredService<IOptions<AuthorizationOptions>>().Value));
        builder.Services.AddCommerceJobs(jobs => jobs.AddJob("noop", static (_, _) => ValueTask.FromResult(JobResult.Success)));
        return builder.Build();
    }

    private static HttpClient CreateClient(WebApplication app) => new()
    {
        BaseAddress = new Uri(app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.Single()),
        Timeout = Patience,
    };

    /// <summary>Answers from the host's authorization options, but only asynchronously and once its gate opens (a provider reading a database, say).</summary>
    private sealed class AsyncPolicyProvider(AuthorizationOptions initial) : IAuthorizationPolicyProvider
    {
        private readonly Dictionary<string, int> _lookups = new(StringComparer.Ordinal);
        private DefaultAuthorizationPolicyProvider _inner = new(Options.Create(initial));

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public AsyncPolicyProvider Using(AuthorizationOptions options)
        {
            _inner = new DefaultAuthorizationPolicyProvider(Options.Create(options));
            return this;
        }

        public int Lookups(string name)
        {
            lock (_lookups)
            {
                return _lookups.GetValueOrDefault(name);
            }
        }

        public async Task<AuthorizationPolicy?> GetPolicyAsync(string policyName)
        {
            lock (_lookups)
            {
                _lookups[policyName] = _lookups.GetValueOrDefault(policyName) + 1;
            }

            await Gate.Task;
            await Task.Yield();
            return await _inner.GetPolicyAsync(policyName);
        }

        public async Task<AuthorizationPolicy> GetDefaultPolicyAsync()
        {
            await Task.Yield();
            return await _inner.GetDefaultPolicyAsync();
        }

        public async Task<AuthorizationPolicy?> GetFallbackPolicyAsync()
        {
            await Task.Yield();
            return await _inner.GetFallbackPolicyAsync();
        }
    }
}
