using Commerce.Jobs.Adapters;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>Adds HTTP endpoint targets to a Commerce.Jobs host.</summary>
public static class HttpTargetCommerceJobsBuilderExtensions
{
    /// <summary>
    /// Adds a named target that POSTs batches as signed JSON to an HTTP endpoint (an ERP's or a WMS's webhook),
    /// through the named <see cref="HttpClient"/> <paramref name="name"/> of <c>IHttpClientFactory</c>.
    /// </summary>
    /// <param name="jobs">The builder.</param>
    /// <param name="name">The target's unique name, which jobs name in <c>DeliverTo</c>; also the name of its options and its HTTP client.</param>
    /// <param name="configure">Sets the endpoint, the signing secret, the mode and the timeout.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>
    /// The options are named options validated at start-up; the HTTP client does not follow redirects and leaves timeouts to
    /// <see cref="HttpTargetOptions.Timeout"/>. Configure the client further (a proxy, a client certificate, a handler) with
    /// <c>services.AddHttpClient(name)</c>.
    /// </remarks>
    /// <example>
    /// <code>
    /// services.AddCommerceJobs(jobs =>
    /// {
    ///     jobs.AddHttpTarget("erp", http =>
    ///     {
    ///         http.Endpoint = new Uri("https://erp.example.com/hooks/orders");
    ///         http.SigningSecret = configuration["Erp:SigningSecret"];
    ///     });
    ///     jobs.AddRecordJob&lt;Order&gt;("order-submit").ReadFrom&lt;PendingOrders&gt;().DeliverTo("erp");
    /// });
    /// </code>
    /// </example>
    /// <exception cref="ArgumentException">The name is invalid or already used by another target.</exception>
    public static CommerceJobsBuilder AddHttpTarget(this CommerceJobsBuilder jobs, string name, Action<HttpTargetOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(configure);
        jobs.AddTarget<HttpTargetOptions, HttpTargetOptionsValidator>(name, configure, (services, options) =>
        {
            var clients = services.GetRequiredService<IHttpClientFactory>();
            return new HttpTarget(
                name,
                options,
                () => clients.CreateClient(name),
                services.GetService<TimeProvider>() ?? TimeProvider.System,
                services.GetService<ILoggerFactory>()?.CreateLogger<HttpTarget>() ?? NullLogger<HttpTarget>.Instance);
        });
        jobs.Services.AddHttpClient(name, static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static (handler, _) =>
            {
                // A 301/302 would turn the POST into a GET somewhere else: report it instead.
                switch (handler)
                {
                    case SocketsHttpHandler sockets:
                        sockets.AllowAutoRedirect = false;
                        break;
                    case HttpClientHandler classic:
                        classic.AllowAutoRedirect = false;
                        break;
                }
            });
        return jobs;
    }

    /// <summary>
    /// Adds a named target for a search service's bulk ingestion API: one POST per batch with one operation per document
    /// (<see cref="HttpTargetMode.Documents"/>) — upserts, and deletes for entity-sync deletes — usually authenticated with
    /// <see cref="HttpTargetOptions.ApiKey"/>. Everything else is as for <see cref="AddHttpTarget"/>.
    /// </summary>
    /// <param name="jobs">The builder.</param>
    /// <param name="name">The target's unique name.</param>
    /// <param name="configure">Sets the ingestion endpoint (the index's bulk address), the API key and the timeout.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <example>
    /// <code>
    /// jobs.AddSearchIngestionTarget("search", search =>
    /// {
    ///     search.Endpoint = new Uri("https://search.example.com/indexes/products/docs/bulk");
    ///     search.ApiKey = configuration["Search:ApiKey"];
    /// });
    /// jobs.AddEntitySync("products").DeliverTo("search");
    /// </code>
    /// </example>
    public static CommerceJobsBuilder AddSearchIngestionTarget(this CommerceJobsBuilder jobs, string name, Action<HttpTargetOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        return jobs.AddHttpTarget(name, options =>
        {
            options.Mode = HttpTargetMode.Documents;
            configure(options);
        });
    }
}
