using Commerce.Jobs;
using Commerce.Jobs.Dashboard;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the Commerce.Jobs management API and dashboard page into an ASP.NET Core application.</summary>
public static class CommerceJobsEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps, under <paramref name="prefix"/>, the dashboard page (<c>{prefix}/</c>) and the JSON management API
    /// (<c>{prefix}/api/…</c>): jobs with their state, schedule, next run, last outcome and counts; run history with
    /// logs; run now; pause, resume, enable and disable; entity-sync configurations, pause / resume, full and
    /// targeted syncs and status; target health.
    /// </summary>
    /// <param name="endpoints">The application.</param>
    /// <param name="prefix">The route prefix, for example <c>/jobs</c>.</param>
    /// <param name="configure">
    /// Secures the endpoints: set <see cref="CommerceJobsDashboardOptions.AuthorizationPolicy"/>, or opt into
    /// <see cref="CommerceJobsDashboardOptions.LocalOnly"/> access explicitly.
    /// </param>
    /// <returns>
    /// The route group, for further conventions (rate limiting, metadata). Do not allow other origins with credentials
    /// (CORS) on it: they could then read the antiforgery token that <c>GET {prefix}/api/dashboard</c> hands out.
    /// </returns>
    /// <exception cref="InvalidOperationException">
    /// Neither a policy nor local-only access was configured; the policy is not registered (when the policy provider
    /// answers at once, as the default one does; a provider that looks policies up asynchronously is not waited for, and
    /// then each request is refused by the endpoints' authorization, naming the policy); antiforgery is required but not
    /// registered; or Commerce.Jobs is not registered (<c>services.AddCommerceJobs</c>).
    /// </exception>
    /// <example>
    /// <code>
    /// builder.Services.AddAntiforgery();
    /// builder.Services.AddAuthorization(o => o.AddPolicy("jobs-admin", p => p.RequireRole("Administrators")));
    /// ...
    /// app.MapCommerceJobs("/jobs", dashboard => dashboard.AuthorizationPolicy = "jobs-admin");
    /// </code>
    /// </example>
    public static RouteGroupBuilder MapCommerceJobs(this IEndpointRouteBuilder endpoints, string prefix, Action<CommerceJobsDashboardOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentException.ThrowIfNullOrWhiteSpace(prefix);
        ArgumentNullException.ThrowIfNull(configure);

        var options = new CommerceJobsDashboardOptions();
        configure(options);
        Validate(options, endpoints.ServiceProvider);

        var routePrefix = "/" + prefix.Trim('/');
        var group = endpoints.MapGroup(routePrefix).ExcludeFromDescription();
        if (options.AuthorizationPolicy is { } policy)
        {
            group.RequireAuthorization(policy);
        }

        if (options.LocalOnly)
        {
            group.AddEndpointFilter(DashboardSecurity.RequireLocalAsync);
        }

        DashboardEndpoints.MapPage(group);

        var api = group.MapGroup("/api");
        api.AddEndpointFilter(DashboardSecurity.NoStoreAsync);
        var commands = api.MapGroup(string.Empty);
        if (options.RequireAntiforgeryToken)
        {
            commands.AddEndpointFilter(DashboardSecurity.RequireAntiforgeryAsync);
        }

        DashboardEndpoints.MapJobs(api, commands, routePrefix.TrimEnd('/'), options);
        DashboardEndpoints.MapDefinitions(api, commands);
        DashboardEndpoints.MapEntitySync(api, commands);
        DashboardEndpoints.MapTargetDefinitions(api, commands);
        return group;
    }

    private static void Validate(CommerceJobsDashboardOptions options, IServiceProvider services)
    {
        if (string.IsNullOrWhiteSpace(options.AuthorizationPolicy) && !options.LocalOnly)
        {
            throw new InvalidOperationException(
                "MapCommerceJobs: the dashboard can run, pause and disable jobs, so it needs protection. Name an authorization policy " +
                "(dashboard.AuthorizationPolicy = \"jobs-admin\") or opt into local-only access explicitly (dashboard.LocalOnly = true).");
        }

        if (options.AuthorizationPolicy is { } policy && string.IsNullOrWhiteSpace(policy))
        {
            options.AuthorizationPolicy = null;
        }

        if (options.RefreshInterval < TimeSpan.FromSeconds(1) || options.RefreshInterval > TimeSpan.FromHours(1))
        {
            throw new InvalidOperationException($"MapCommerceJobs: RefreshInterval must be between 1 second and 1 hour; it is {options.RefreshInterval}.");
        }

        if (string.IsNullOrWhiteSpace(options.Title) || options.Title.Length > 100)
        {
            throw new InvalidOperationException("MapCommerceJobs: Title must be 1 to 100 characters.");
        }

        if (options.MaxRunsPerRequest is < 1 or > 10_000)
        {
            throw new InvalidOperationException($"MapCommerceJobs: MaxRunsPerRequest must be between 1 and 10000; it is {options.MaxRunsPerRequest}.");
        }

        if (options.AuthorizationPolicy is { } name)
        {
            var policies = services.GetService<IAuthorizationPolicyProvider>()
                ?? throw new InvalidOperationException($"MapCommerceJobs: the policy '{name}' needs authorization services; call builder.Services.AddAuthorization(...).");
            if (IsMissing(policies.GetPolicyAsync(name)))
            {
                throw new InvalidOperationException($"MapCommerceJobs: no authorization policy named '{name}' is registered; add it with builder.Services.AddAuthorization(o => o.AddPolicy(\"{name}\", ...)).");
            }
        }

        if (services.GetService<IJobMonitor>() is null)
        {
            throw new InvalidOperationException("MapCommerceJobs: Commerce.Jobs is not registered; call services.AddCommerceJobs(...) first.");
        }

        if (options.RequireAntiforgeryToken)
        {
            if (services.GetService<IAntiforgery>() is null)
            {
                throw new InvalidOperationException(
                    "MapCommerceJobs: state-changing requests need antiforgery tokens; call builder.Services.AddAntiforgery() " +
                    "(or set dashboard.RequireAntiforgeryToken = false when the API is reached with bearer tokens only).");
            }

            if (string.IsNullOrEmpty(services.GetService<IOptions<AntiforgeryOptions>>()?.Value.HeaderName))
            {
                throw new InvalidOperationException("MapCommerceJobs: AntiforgeryOptions.HeaderName is empty; the dashboard sends its token in a header.");
            }
        }
    }

    /// <summary>
    /// Whether a policy lookup answered at once that there is no such policy. Mapping never waits: a lookup still in
    /// progress (a provider that reads policies from a database, say) is left to finish on its own, and the endpoints'
    /// authorization looks the policy up again on each request and refuses it, naming the policy, while it is missing.
    /// </summary>
    private static bool IsMissing(Task<AuthorizationPolicy?> lookup)
    {
        if (!lookup.IsCompleted)
        {
            // Observed, so a failure is not reported as unobserved; the request's own lookup reports it.
            _ = lookup.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            return false;
        }

        // Completed: reading the result does not block (and rethrows the provider's own error, as before).
        return lookup.GetAwaiter().GetResult() is null;
    }
}
