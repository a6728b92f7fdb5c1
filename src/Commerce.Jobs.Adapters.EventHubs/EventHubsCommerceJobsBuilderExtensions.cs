using Commerce.Jobs.Adapters.EventHubs;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Commerce.Jobs;

/// <summary>Adds Azure Event Hubs targets to a Commerce.Jobs host.</summary>
public static class EventHubsCommerceJobsBuilderExtensions
{
    /// <summary>
    /// Adds a named target that sends one event per record to an event hub: partition key the record's id (an entity change's
    /// entity id), body the record as JSON, application properties <c>idempotency-key</c> and <c>job</c> (and an entity
    /// change's <c>entity-type</c>, <c>change-kind</c> and <c>entity-version</c>).
    /// </summary>
    /// <param name="jobs">The builder.</param>
    /// <param name="name">The target's unique name, which jobs name in <c>DeliverTo</c>; also the name of its options.</param>
    /// <param name="configure">Sets the namespace (a connection string, or a host name and a credential), the event hub and the partitioning.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>
    /// The client is created with the target, on first use, and closed with the host. The options are named options validated
    /// at start-up.
    /// </remarks>
    /// <example>
    /// <code>
    /// services.AddCommerceJobs(jobs =>
    /// {
    ///     jobs.AddEventHubsTarget("events", hub =>
    ///     {
    ///         hub.FullyQualifiedNamespace = "my-namespace.servicebus.windows.net";
    ///         hub.Credential = new DefaultAzureCredential();
    ///         hub.EventHubName = "orders";
    ///     });
    ///     jobs.AddRecordJob&lt;Order&gt;("order-events").ReadFrom&lt;NewOrders&gt;().DeliverTo("events");
    /// });
    /// </code>
    /// </example>
    /// <exception cref="ArgumentException">The name is invalid or already used by another target.</exception>
    public static CommerceJobsBuilder AddEventHubsTarget(this CommerceJobsBuilder jobs, string name, Action<EventHubsTargetOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(configure);
        return jobs.AddTarget<EventHubsTargetOptions, EventHubsTargetOptionsValidator>(name, configure, (services, options) => new EventHubsTarget(
            name,
            options,
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetService<ILoggerFactory>()?.CreateLogger<EventHubsTarget>() ?? NullLogger<EventHubsTarget>.Instance));
    }
}
