using System.Net;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Dashboard;

/// <summary>The checks every request passes: local-only access (when opted into) and antiforgery for state changes.</summary>
internal static class DashboardSecurity
{
    // Headers a proxy adds (and those ForwardedHeadersMiddleware leaves behind when it applies them): a request carrying
    // any of them came through something that may be serving other machines.
    private static readonly string[] ForwardingHeaders =
    [
        "Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix", "X-Real-IP", "Via",
        "X-Original-For", "X-Original-Host", "X-Original-Proto", "X-Original-Prefix",
        // The client-address headers of CDNs and load balancers (Cloudflare, Akamai, Fastly, others).
        "CF-Connecting-IP", "True-Client-IP", "X-Client-IP", "X-Cluster-Client-IP", "Fastly-Client-IP",
    ];

    /// <summary>Says why a request is not local, or <see langword="null"/> when it is.</summary>
    public static string? WhyNotLocal(HttpContext context)
    {
        var remote = context.Connection.RemoteIpAddress;
        if (remote is { IsIPv4MappedToIPv6: true })
        {
            remote = remote.MapToIPv4();
        }

        if (remote is null || !IPAddress.IsLoopback(remote))
        {
            return "the request does not come from a loopback address";
        }

        foreach (var header in ForwardingHeaders)
        {
            if (context.Request.Headers.ContainsKey(header))
            {
                return $"the request was forwarded by a proxy ({header})";
            }
        }

        var host = context.Request.Host.Host;
        if (string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address)))
        {
            return null;
        }

        return "the request is addressed to a host name that is not a loopback name";
    }

    public static async ValueTask<object?> RequireLocalAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        if (WhyNotLocal(context.HttpContext) is { } reason)
        {
            DashboardLog.RefusedNotLocal(context.HttpContext, reason);
            return TypedResults.Problem(
                $"This Commerce.Jobs dashboard accepts local requests only: {reason}.",
                statusCode: StatusCodes.Status403Forbidden,
                title: "Local requests only");
        }

        return await next(context).ConfigureAwait(false);
    }

    public static async ValueTask<object?> RequireAntiforgeryAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var antiforgery = context.HttpContext.RequestServices.GetRequiredService<IAntiforgery>();
        try
        {
            await antiforgery.ValidateRequestAsync(context.HttpContext).ConfigureAwait(false);
        }
        catch (AntiforgeryValidationException)
        {
            return TypedResults.Problem(
                "This request changes state and needs a valid antiforgery token in a header: GET api/dashboard returns the header's name and a token (and sets its cookie).",
                statusCode: StatusCodes.Status400BadRequest,
                title: "Antiforgery token missing or invalid");
        }

        return await next(context).ConfigureAwait(false);
    }

    public static async ValueTask<object?> NoStoreAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        context.HttpContext.Response.Headers.CacheControl = "no-store";
        return await next(context).ConfigureAwait(false);
    }
}
