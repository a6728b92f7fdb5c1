using Commerce.Jobs.Adapters;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Verifies the signature of Commerce.Jobs HTTP target requests on the endpoints that receive them.</summary>
public static class CommerceJobsSignatureEndpointExtensions
{
    /// <summary>The default tolerance for the signature's timestamp: five minutes either side of the receiver's clock.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMinutes(5);

    /// <summary>The default largest body verified: 4 MiB (4,194,304 bytes); a larger one is answered 413.</summary>
    /// <remarks>
    /// Well above a batch of a few hundred records of a few kilobytes each; raise it for larger batches (the HTTP target
    /// takes a 413 for a permanent failure of the batch).
    /// </remarks>
    public const long DefaultMaxBodySize = 4 * 1024 * 1024;

    /// <summary>
    /// Lets a request reach the endpoint only when its <see cref="HttpTargetSignature.HeaderName"/> header is a valid
    /// signature of its exact body under <paramref name="secret"/>, made within <paramref name="tolerance"/> of now;
    /// otherwise answers 401 with a problem body (413 for a body over <paramref name="maxBodySize"/>). Runs before the
    /// endpoint's parameters are bound, and leaves the body readable by the handler (a bound JSON parameter, or
    /// <c>HttpRequest.Body</c> from its start).
    /// </summary>
    /// <typeparam name="TBuilder">The endpoint, or group of endpoints.</typeparam>
    /// <param name="builder">The endpoint (<c>app.MapPost(...)</c>) or group (<c>app.MapGroup(...)</c>).</param>
    /// <param name="secret">The HTTP target's <c>SigningSecret</c>.</param>
    /// <param name="tolerance">How old (or how far ahead) the signature's timestamp may be; by default five minutes.</param>
    /// <param name="maxBodySize">The largest body, in bytes, that is read and verified; by default <see cref="DefaultMaxBodySize"/> (4 MiB).</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>
    /// The clock is the application's <see cref="TimeProvider"/> when one is registered, otherwise <see cref="TimeProvider.System"/>.
    /// The header is checked first: a request without it, with a malformed one, or with a timestamp outside the
    /// tolerance is answered 401 before any byte of its body is read, and one whose <c>Content-Length</c> is over
    /// <paramref name="maxBodySize"/> is answered 413 unread. Otherwise the body is hashed as it is read and buffered once
    /// for the handler (in memory, spilling to a temporary file past 30 KB), up to <paramref name="maxBodySize"/> (413
    /// past it); Kestrel's request size limit still applies. A signature bounds replays to the tolerance; drop repeated
    /// idempotency keys for the rest.
    /// </remarks>
    /// <example>
    /// <code>
    /// app.MapPost("/hooks/orders", (OrderBatch batch) => ...).RequireCommerceJobsSignature(secret);
    /// </code>
    /// </example>
    public static TBuilder RequireCommerceJobsSignature<TBuilder>(this TBuilder builder, string secret, TimeSpan? tolerance = null, long? maxBodySize = null)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(secret);
        var window = tolerance ?? DefaultTolerance;
        ArgumentOutOfRangeException.ThrowIfLessThan(window, TimeSpan.Zero);
        var limit = maxBodySize ?? DefaultMaxBodySize;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit, nameof(maxBodySize));

        // Wraps the endpoint's request delegate rather than adding an endpoint filter: filters run after parameter
        // binding, when a bound body has already been read and cannot be verified any more.
        builder.Add(endpoint =>
        {
            var next = endpoint.RequestDelegate ?? throw new InvalidOperationException($"Endpoint '{endpoint.DisplayName}' has no request delegate to protect.");
            endpoint.RequestDelegate = context => VerifyThenAsync(context, next, secret, window, limit);
        });
        return builder;
    }

    private static async Task VerifyThenAsync(HttpContext context, RequestDelegate next, string secret, TimeSpan tolerance, long maxBodySize)
    {
        var request = context.Request;
        var now = (context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System).GetUtcNow();
        var header = request.Headers.TryGetValue(HttpTargetSignature.HeaderName, out var values) ? values.ToString() : null;

        // The cheap checks first, with the body unread: a caller without a fresh signature cannot make us buffer it.
        if (!HttpTargetSignature.IsFresh(header, now, tolerance))
        {
            await RefuseAsync(
                    context,
                    header is null
                        ? $"The request has no {HttpTargetSignature.HeaderName} header."
                        : $"The {HttpTargetSignature.HeaderName} header is malformed or its timestamp is not within {tolerance} of now.")
                .ConfigureAwait(false);
            return;
        }

        if (request.ContentLength > maxBodySize)
        {
            await TooLargeAsync(context, maxBodySize).ConfigureAwait(false);
            return;
        }

        request.EnableBuffering();
        var body = new LimitedReadStream(request.Body, maxBodySize);
        var valid = await HttpTargetSignature.VerifyAsync(secret, header, body, now, tolerance, context.RequestAborted).ConfigureAwait(false);
        if (body.Exceeded)
        {
            await TooLargeAsync(context, maxBodySize).ConfigureAwait(false);
            return;
        }

        request.Body.Position = 0;
        if (!valid)
        {
            await RefuseAsync(context, $"The {HttpTargetSignature.HeaderName} header does not sign this body with the shared secret (a changed body, or a wrong secret).").ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private static Task RefuseAsync(HttpContext context, string detail)
        => Results.Problem(detail, statusCode: StatusCodes.Status401Unauthorized, title: "Signature missing or invalid").ExecuteAsync(context);

    private static Task TooLargeAsync(HttpContext context, long maxBodySize)
        => Results.Problem($"The body is larger than the {maxBodySize} bytes this endpoint verifies.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Body too large").ExecuteAsync(context);
}
