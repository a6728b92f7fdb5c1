using Commerce.Jobs;
using Commerce.Jobs.Definitions;
using Commerce.Jobs.EntitySync;
using Commerce.Jobs.History;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Records;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Targets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Commerce.Jobs in a service collection.</summary>
public static class CommerceJobsServiceCollectionExtensions
{
    /// <summary>Adds the Commerce.Jobs engine, running as a hosted service, and declares the host's jobs.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Declares jobs, targets, store and notifiers.</param>
    /// <returns>The services, for chaining.</returns>
    /// <remarks>Safe to call more than once: later calls add jobs to the same engine.</remarks>
    /// <example>
    /// <code>
    /// builder.Services.AddScoped&lt;PendingOrders&gt;().AddScoped&lt;ErpOrders&gt;(); // the host's adapters, new for every run
    /// builder.Services.AddCommerceJobs(jobs =>
    /// {
    ///     jobs.AddRecordJob&lt;Order&gt;("order-submit")
    ///         .ReadFrom&lt;PendingOrders&gt;()
    ///         .DeliverTo&lt;ErpOrders&gt;()
    ///         .Schedule(Schedule.Automatic())
    ///         .Batch(size: 100, maxItemsToSkip: 10)
    ///         .RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(60));
    ///     jobs.AddJob&lt;ProductRefresh&gt;("product-refresh").Schedule(Schedule.Every(TimeSpan.FromHours(1)));
    /// });
    /// </code>
    /// </example>
    public static IServiceCollection AddCommerceJobs(this IServiceCollection services, Action<CommerceJobsBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);

        var registry = services.FirstOrDefault(d => d.ServiceType == typeof(JobRegistry))?.ImplementationInstance as JobRegistry;
        if (registry is null)
        {
            registry = new JobRegistry();
            services.AddSingleton(registry);
        }

        services.AddOptions();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<IJobStore, InMemoryJobStore>();
        // Each role is the one store, whichever UseStore put in place: a part depends only on the role it uses.
        services.TryAddSingleton<IRunHistoryStore>(static s => s.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IRecordStore>(static s => s.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IScheduleStore>(static s => s.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IEntitySyncStore>(static s => s.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IOperatorStateStore>(static s => s.GetRequiredService<IJobStore>());
        services.TryAddSingleton<IOperatorChangeLog>(static s => s.GetRequiredService<IJobStore>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobFailureNotifier, LoggingFailureNotifier>());
        services.TryAddSingleton<NotificationQueue>();
        services.TryAddSingleton<NamedTargets>();
        services.TryAddSingleton<EngineIdentity>();
        services.TryAddSingleton<IRecordInbox, RecordInbox>();
        services.TryAddSingleton<TargetHealthRegistry>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TargetOptions>, TargetOptionsValidator>());
        services.TryAddSingleton<JobEngine>();
        services.TryAddSingleton<IJobTrigger>(static s => s.GetRequiredService<JobEngine>());
        services.TryAddSingleton<IJobRunner>(static s => s.GetRequiredService<JobEngine>());
        services.TryAddSingleton<IJobControl>(static s => s.GetRequiredService<JobEngine>());
        services.TryAddSingleton<IJobMonitor>(static s => s.GetRequiredService<JobEngine>());
        services.TryAddSingleton<JobDefinitionService>();
        services.TryAddSingleton<IJobDefinitions>(static s => s.GetRequiredService<JobDefinitionService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOperatorStateApplier, JobDefinitionService>(static s => s.GetRequiredService<JobDefinitionService>()));
        services.TryAddSingleton<TargetDefinitionService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IOperatorStateApplier, TargetDefinitionService>(static s => s.GetRequiredService<TargetDefinitionService>()));
        // One hosted service starts entity sync, then the engine, and stops both together (bounded by the grace period).
        EntitySyncRegistry.TryAdd(services);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, CommerceJobsHostedService>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JobOptions>, JobOptionsValidator>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CommerceJobsOptions>, CommerceJobsOptionsValidator>());
        services.AddOptions<CommerceJobsOptions>().ValidateOnStart();

        var builder = new CommerceJobsBuilder(services, registry);
        configure(builder);
        builder.Complete();
        return services;
    }

    /// <summary>Adds the Commerce.Jobs engine and binds its settings and each job's from <paramref name="configuration"/> (the <c>CommerceJobs</c> section).</summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The <c>CommerceJobs</c> section: engine options, and <c>Jobs:{job name}</c> for each job.</param>
    /// <param name="configure">Declares jobs, targets, store and notifiers.</param>
    /// <returns>The services, for chaining.</returns>
    public static IServiceCollection AddCommerceJobs(this IServiceCollection services, IConfiguration configuration, Action<CommerceJobsBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(configure);
        return services.AddCommerceJobs(jobs =>
        {
            jobs.BindConfiguration(configuration);
            configure(jobs);
        });
    }
}
