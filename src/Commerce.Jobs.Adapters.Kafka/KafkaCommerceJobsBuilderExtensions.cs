using Commerce.Jobs.Adapters.Kafka;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>Adds Kafka targets to a Commerce.Jobs host.</summary>
public static class KafkaCommerceJobsBuilderExtensions
{
    /// <summary>
    /// Adds a named target that produces one message per record to a Kafka topic through an idempotent producer: key the
    /// record's id (an entity change's entity id), value the record as JSON, header <c>idempotency-key</c>.
    /// </summary>
    /// <param name="jobs">The builder.</param>
    /// <param name="name">The target's unique name, which jobs name in <c>DeliverTo</c>; also the name of its options.</param>
    /// <param name="configure">Sets the brokers, the topic and further producer settings (security, compression).</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>
    /// The producer is created with the target, on first use, and disposed with the service provider. The options are named
    /// options validated at start-up.
    /// </remarks>
    /// <example>
    /// <code>
    /// services.AddCommerceJobs(jobs =>
    /// {
    ///     jobs.AddKafkaTarget("events", kafka =>
    ///     {
    ///         kafka.BootstrapServers = "broker-1:9092,broker-2:9092";
    ///         kafka.Topic = "orders";
    ///     });
    ///     jobs.AddRecordJob&lt;Order&gt;("order-events").ReadFrom&lt;NewOrders&gt;().DeliverTo("events");
    /// });
    /// </code>
    /// </example>
    /// <exception cref="ArgumentException">The name is invalid or already used by another target.</exception>
    public static CommerceJobsBuilder AddKafkaTarget(this CommerceJobsBuilder jobs, string name, Action<KafkaTargetOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(configure);

        // The container creates the target, so it disposes it (and its producer) with itself.
        jobs.AddTarget(name, services => services.GetRequiredKeyedService<KafkaTarget>(name));
        jobs.Services.AddKeyedSingleton(name, (services, _) => new KafkaTarget(
            name,
            services.GetRequiredService<IOptionsMonitor<KafkaTargetOptions>>().Get(name),
            services.GetService<TimeProvider>() ?? TimeProvider.System,
            services.GetService<ILoggerFactory>()?.CreateLogger<KafkaTarget>() ?? NullLogger<KafkaTarget>.Instance));
        jobs.Services.AddOptions<KafkaTargetOptions>(name).Configure(configure).ValidateOnStart();
        jobs.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<KafkaTargetOptions>, KafkaTargetOptionsValidator>());
        return jobs;
    }
}
