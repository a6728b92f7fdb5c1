using Commerce.Jobs.Adapters;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Verifies the signature of Commerce.Jobs HTTP target requests on the endpoints that receive them.</summary>
public static class CommerceJobsSignatureEndpointExtensions
{
    /// <summary>The default tolerance for the signature's timestamp: five minutes either side of the receiver's clock.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Lets a request reach the endpoint only when its <see cref="HttpTargetSignature.HeaderName"/> header is a valid
    /// signature of its exact body under <paramref name="secret"/>, made within <paramref name="tolerance"/> of now;
    /// otherwise answers 401 with a problem body. Runs before the endpoint's parameters are bound, and leaves the body
    /// readable by the handler (a bound JSON parameter, or <c>HttpRequest.Body</c> from its start).
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint, or group of endpoints.</typeparam>
    /// <param name="builder">The endpoint (<c>app.MapPost(...)</c>) or group (<c>app.MapGroup(...)</c>).</param>
    /// <param name="secret">The HTTP target's <c>SigningSecret</c>.</param>
    /// <param name="tolerance">How old (or how far ahead) the signature's timestamp may be; by default five minutes.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>
    /// The clock is the application's <see cref="TimeProvider"/> when one is registered, otherwise <see cref="TimeProvider.System"/>.
    /// The whole body is buffered to verify it (in memory, spilling to a temporary file past 30 KB); Kestrel's request
    /// size limit still applies. A signature bounds replays to the tolerance; drop repeated idempotency keys for the rest.
    /// </remarks>
    /// <example>
    /// <code>
    /// app.MapPost("/hooks/orders", (OrderBatch batch) => ...).RequireCommerceJobsSignature(secret);
    /// </code>
    /// </example>
    public static TBuilder RequireCommerceJobsSignature<TBuilder>(this TBuilder builder, string secret, TimeSpan? tolerance = null)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var window = tolerance ?? DefaultTolerance;
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.Zero);

        // Wraps the endpoint's request delegate rather than adding an endpoint filter: filters run after parameter
        // binding, when a bound body has already been read and cannot be verified any more.
        builder.Add(endpoint =>
        {
            var next = endpoint.RequestDelegate ?? throw new InvalidOperationException($"Endpoint '{endpoint.DisplayName}' has no request delegate to protect.");
            endpoint.RequestDelegate = context => VerifyThenAsync(context, next, secret, window);
        });
        return builder;
    }

    private static async Task VerifyThenAsync(HttpContext context, RequestDelegate next, string secret, TimeSpan tolerance)
    {
        var request = context.Request;
        request.EnableBuffering();
        byte[] body;
        using (var buffer = new MemoryStream())
        {
            await request.Body.CopyToAsync(buffer, context.RequestAborted).ConfigureAwait(false);
            body = buffer.ToArray();
        }

        request.Body.Position = 0;
        var time = context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;
        var header = request.Headers.TryGetValue(HttpTargetSignature.HeaderName, out var values) ? values.ToString() : null;
        if (!HttpTargetSignature.Verify(secret, header, body, time.GetUtcNow(), tolerance))
        {
            await Results.Problem(
                    header is null
                        ? $"The request has no {HttpTargetSignature.HeaderName} header."
                        : $"The {HttpTargetSignature.HeaderName} header does not sign this body with the shared secret within {tolerance} of now (a changed body, a wrong secret, or a stale timestamp).",
                    statusCode: StatusCodes.Status401Unauthorized,
                    title: "Signature missing or invalid")
                .ExecuteAsync(context)
                .ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }
}
