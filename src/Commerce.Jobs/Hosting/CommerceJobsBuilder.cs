using Commerce.Jobs.EntitySync;
using Commerce.Jobs.History;
using Commerce.Jobs.Records;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Targets;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Commerce.Jobs;

/// <summary>Declares a host's integration in one place: jobs, targets, store, notifiers and configuration.</summary>
public sealed class CommerceJobsBuilder
{
    private readonly JobRegistry _registry;

    internal CommerceJobsBuilder(IServiceCollection services, JobRegistry registry)
    {
        Services = services;
        _registry = registry;
    }

    /// <summary>Gets the service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Adds a plain job, resolved for every run (registered transient if not already): from the run's own DI scope, or from the root when neither it nor what it takes may be scoped or disposable (the README says which).</summary>
    /// <typeparam name="TJob">The job.</typeparam>
    /// <param name="name">
    /// The job's unique name (case-insensitive): 1 to 100 ASCII letters, digits, '-', '_' or '.', and not
    /// '.' or '..'. Anything else ('/', '\', '?', '#', '%', spaces, control or non-ASCII characters) is refused rather than
    /// encoded, so a name is the same text in configuration (<c>Jobs:{name}</c>), logs and the dashboard's URLs.
    /// </param>
    /// <returns>A builder for the job's schedule and settings.</returns>
    /// <exception cref="ArgumentException">The name is invalid or already used.</exception>
    public JobBuilder AddJob<TJob>(string name)
        where TJob : class, IIntegrationJob
    {
        Add(new PlainJobDefinition<TJob>(name, Services));
        Services.TryAddTransient<TJob>();
        return new JobBuilder(Services, name);
    }

    /// <summary>Adds a plain job whose body is a delegate.</summary>
    /// <param name="name">The job's unique name, as for <see cref="AddJob{TJob}(string)"/>.</param>
    /// <param name="body">The body.</param>
    /// <returns>A builder for the job's schedule and settings.</returns>
    /// <exception cref="ArgumentException">The name is invalid or already used.</exception>
    public JobBuilder AddJob(string name, Func<JobContext, CancellationToken, ValueTask<JobResult>> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        Add(new DelegateJobDefinition(name, body));
        return new JobBuilder(Services, name);
    }

    /// <summary>Adds a record job: source → batches → target, with a status sink.</summary>
    /// <typeparam name="T">The record type.</typeparam>
    /// <param name="name">
    /// The job's unique name (case-insensitive): 1 to 100 ASCII letters, digits, '-', '_' or '.', and not
    /// '.' or '..'. Anything else ('/', '\', '?', '#', '%', spaces, control or non-ASCII characters) is refused rather than
    /// encoded, so a name is the same text in configuration (<c>Jobs:{name}</c>), logs and the dashboard's URLs.
    /// </param>
    /// <returns>A builder for the job's source, target, batches, retry window and schedule.</returns>
    /// <exception cref="ArgumentException">The name is invalid or already used.</exception>
    public RecordJobBuilder<T> AddRecordJob<T>(string name)
    {
        var definition = new RecordJobDefinition<T>(name);
        Add(definition);
        return new RecordJobBuilder<T>(Services, definition);
    }

    /// <summary>Adds a named delivery target that record jobs name in <c>DeliverTo</c>.</summary>
    /// <param name="target">The target; its <see cref="IDeliveryTarget.Name"/> is the name.</param>
    /// <returns>This builder.</returns>
    public CommerceJobsBuilder AddTarget(IDeliveryTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        _registry.AddTarget(target.Name, _ => target);
        return this;
    }

    /// <summary>Adds a named delivery target created once from the services.</summary>
    /// <param name="name">The target's unique name.</param>
    /// <param name="factory">Creates the target.</param>
    /// <returns>This builder.</returns>
    public CommerceJobsBuilder AddTarget(string name, Func<IServiceProvider, IDeliveryTarget> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _registry.AddTarget(name, factory);
        return this;
    }

    /// <summary>
    /// Adds a named delivery target with named, validated settings — the one way adapter packages register theirs:
    /// <typeparamref name="TOptions"/> named after the target are configured by <paramref name="configure"/> and checked by
    /// <typeparamref name="TValidator"/> at start-up, and the target is created once from them (and disposed with the host).
    /// </summary>
    /// <typeparam name="TOptions">The target's settings.</typeparam>
    /// <typeparam name="TValidator">Checks the settings; its messages should name the target and the setting.</typeparam>
    /// <param name="name">The target's unique name, also the name of its options.</param>
    /// <param name="configure">Sets the options.</param>
    /// <param name="create">Creates the target from the services and its validated options.</param>
    /// <returns>This builder.</returns>
    public CommerceJobsBuilder AddTarget<TOptions, TValidator>(string name, Action<TOptions> configure, Func<IServiceProvider, TOptions, IDeliveryTarget> create)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(create);
        _registry.AddTarget(name, services => create(services, services.GetRequiredService<IOptionsMonitor<TOptions>>().Get(name)));
        Services.AddOptions<TOptions>(name).Configure(configure).ValidateOnStart();
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        return this;
    }

    /// <summary>Sets a delivery target's concurrency limit and health rules in code (configuration: <c>Targets:{name}</c>).</summary>
    /// <param name="targetName">
    /// The target's name: a named target's, the name given to <c>DeliverTo</c> with a target type or instance, or the job's name
    /// for a target type or instance given without a name.
    /// </param>
    /// <param name="configure">Changes the options.</param>
    /// <returns>This builder.</returns>
    public CommerceJobsBuilder ConfigureTarget(string targetName, Action<TargetOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ConfigureTarget(targetName).Configure(configure);
        return this;
    }

    /// <summary>
    /// Gets the builder of a delivery target's concurrency limit and health rules, to chain <c>Configure</c>, <c>Validate</c>,
    /// <c>BindConfiguration</c> or <c>ValidateOnStart</c> as with any named options.
    /// </summary>
    /// <param name="targetName">The target's name, as for <see cref="ConfigureTarget(string, Action{TargetOptions})"/>.</param>
    /// <returns>The options builder of the target's <see cref="TargetOptions"/>, named after it.</returns>
    /// <example><code>jobs.ConfigureTarget("erp").Validate(t => t.MaxConcurrency &lt;= 8, "Target 'erp': MaxConcurrency must be at most 8.");</code></example>
    public OptionsBuilder<TargetOptions> ConfigureTarget(string targetName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetName);
        return new OptionsBuilder<TargetOptions>(Services, targetName);
    }

    /// <summary>Declares the synchronization of an entity type: its changes, published through <see cref="IEntitySync"/>, are delivered to its targets.</summary>
    /// <param name="entityType">The entity type (<c>categories</c>, <c>buyers</c>): 1 to 100 letters, digits, '-', '_' or '.'; unique (case-insensitive).</param>
    /// <returns>A builder for the type's targets, source and delivery settings.</returns>
    /// <exception cref="ArgumentException">The type is invalid or already declared.</exception>
    /// <example>
    /// <code>
    /// builder.Services.AddCommerceJobs(jobs =>
    /// {
    ///     jobs.AddTarget(searchTarget);
    ///     jobs.AddTarget(erpTarget);
    ///     jobs.AddEntitySync("categories")
    ///         .DeliverTo("search", "erp")
    ///         .ReadFrom&lt;CatalogCategories&gt;()
    ///         .Batch(size: 500)
    ///         .RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(60));
    /// });
    /// </code>
    /// </example>
    public EntitySyncBuilder AddEntitySync(string entityType)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        var registry = EntitySyncRegistry.TryAdd(Services);
        return new EntitySyncBuilder(Services, registry.Add(entityType));
    }

    /// <summary>
    /// Keeps history, record failures and the rest in <typeparamref name="TStore"/> instead of memory; the store serves
    /// each role (<see cref="IRunHistoryStore"/>, <see cref="IRecordStore"/>, <see cref="IScheduleStore"/>, <see cref="IEntitySyncStore"/>,
    /// <see cref="IOperatorStateStore"/>, <see cref="IOperatorChangeLog"/>) too.
    /// </summary>
    /// <typeparam name="TStore">The store.</typeparam>
    /// <returns>This builder.</returns>
    public CommerceJobsBuilder UseStore<TStore>()
        where TStore : class, IJobStore
    {
        Services.Replace(ServiceDescriptor.Singleton<IJobStore, TStore>());
        return this;
    }

    /// <summary>Keeps history, record failures and the rest in the store <paramref name="factory"/> creates (one instance, serving each role too).</summary>
    /// <param name="factory">Creates the store.</param>
    /// <returns>This builder.</returns>
    public CommerceJobsBuilder UseStore(Func<IServiceProvider, IJobStore> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.Replace(ServiceDescriptor.Singleton(factory));
        return this;
    }

    /// <summary>
    /// Keeps history, inboxes and the rest in a store with validated settings — the one way adapter packages register
    /// theirs: <typeparamref name="TOptions"/> are configured by <paramref name="configure"/> and checked by
    /// <typeparamref name="TValidator"/> at start-up, and the store is created once from them.
    /// </summary>
    /// <typeparam name="TOptions">The store's settings.</typeparam>
    /// <typeparam name="TValidator">Checks the settings; its messages should name the setting.</typeparam>
    /// <param name="configure">Sets the options.</param>
    /// <param name="create">Creates the store from the services and its validated options.</param>
    /// <returns>This builder.</returns>
    public CommerceJobsBuilder UseStore<TOptions, TValidator>(Action<TOptions> configure, Func<IServiceProvider, TOptions, IJobStore> create)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(configure);
        ArgumentNullException.ThrowIfNull(create);
        Services.AddOptions<TOptions>().Configure(configure).ValidateOnStart();
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        return UseStore(services => create(services, services.GetRequiredService<IOptions<TOptions>>().Value));
    }

    /// <summary>Adds a failure notifier (email an administrator) beside the default one, which logs.</summary>
    /// <typeparam name="TNotifier">The notifier.</typeparam>
    /// <returns>This builder.</returns>
    public CommerceJobsBuilder AddFailureNotifier<TNotifier>()
        where TNotifier : class, IJobFailureNotifier
    {
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IJobFailureNotifier, TNotifier>());
        return this;
    }

    /// <summary>Sets engine-wide options in code.</summary>
    /// <param name="configure">Changes the options.</param>
    /// <returns>This builder.</returns>
    public CommerceJobsBuilder Configure(Action<CommerceJobsOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(configure);
        return this;
    }

    /// <summary>
    /// Binds engine options from <paramref name="section"/> and each job's options from <c>Jobs:{job name}</c> under it,
    /// over what the code declared.
    /// </summary>
    /// <param name="section">The <c>CommerceJobs</c> section.</param>
    /// <returns>This builder.</returns>
    /// <example><code>jobs.BindConfiguration(builder.Configuration.GetSection("CommerceJobs"));</code></example>
    public CommerceJobsBuilder BindConfiguration(IConfiguration section)
    {
        ArgumentNullException.ThrowIfNull(section);
        if (_registry.Configuration is not null)
        {
            throw new InvalidOperationException("Commerce.Jobs is already bound to a configuration section.");
        }

        _registry.Configuration = section;
        Services.Configure<CommerceJobsOptions>(section);
        Services.AddSingleton<IConfigureOptions<TargetOptions>>(new TargetOptionsBinder(section.GetSection("Targets")));
        return this;
    }

    /// <summary>Adds the Job Status Report job: a table of every job's state, last outcome, next run and recent failures, kept in its run log and returned as a <see cref="JobStatusReport"/>.</summary>
    /// <param name="name">The job's name.</param>
    /// <returns>A builder for its schedule.</returns>
    public JobBuilder AddJobStatusReport(string name = "job-status-report") => AddJob<JobStatusReportJob>(name);

    /// <summary>Adds the Nightly Maintenance job, daily at 02:00 server time: purges run history past each job's retention and entity-sync tombstones past each type's <see cref="EntitySyncOptions.TombstoneRetention"/>, and runs every <see cref="INightlyMaintenanceStep"/>.</summary>
    /// <param name="name">The job's name.</param>
    /// <returns>A builder for its schedule.</returns>
    public JobBuilder AddNightlyMaintenance(string name = "nightly-maintenance")
        => AddJob<NightlyMaintenanceJob>(name).Schedule(Commerce.Jobs.Schedule.DailyAt(new TimeOnly(2, 0)));

    /// <summary>Adds a host cleanup step to Nightly Maintenance.</summary>
    /// <typeparam name="TStep">The step.</typeparam>
    /// <returns>This builder.</returns>
    public CommerceJobsBuilder AddMaintenanceStep<TStep>()
        where TStep : class, INightlyMaintenanceStep
    {
        Services.TryAddEnumerable(ServiceDescriptor.Transient<INightlyMaintenanceStep, TStep>());
        return this;
    }

    /// <summary>Applies configuration binding after everything the code declared, so configuration wins.</summary>
    /// <remarks>Jobs of every <c>AddCommerceJobs</c> call are bound, whichever call bound the section.</remarks>
    internal void Complete()
    {
        if (_registry.Configuration is not { } configuration)
        {
            return;
        }

        foreach (var name in _registry.TakeUnbound())
        {
            Services.Configure<JobOptions>(name, configuration.GetSection("Jobs").GetSection(name));
        }

        // Targets too: their binder goes after every ConfigureTarget so far, whichever came first.
        if (Services.LastOrDefault(static d => d.ServiceType == typeof(IConfigureOptions<TargetOptions>) && !d.IsKeyedService && d.ImplementationInstance is TargetOptionsBinder) is { } targets)
        {
            Services.Remove(targets);
            Services.Add(targets);
        }
    }

    private void Add(JobDefinition definition) => _registry.Add(definition);
}
