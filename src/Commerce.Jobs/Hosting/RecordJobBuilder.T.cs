using Commerce.Jobs.Records;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Commerce.Jobs;

/// <summary>Declares a record job: a source, a target, an optional status sink, batches and a retry window.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class RecordJobBuilder<T> : JobBuilderBase<RecordJobBuilder<T>>
{
    private readonly RecordJobDefinition<T> _definition;

    internal RecordJobBuilder(IServiceCollection services, RecordJobDefinition<T> definition)
        : base(services, definition.Name)
    {
        _definition = definition;
    }

    /// <summary>
    /// Reads records from <typeparamref name="TSource"/>, resolved from the run's scope. The host registers it (its lifetime
    /// decides whether every run gets a new instance); the host does not start when it is not registered.
    /// </summary>
    /// <typeparam name="TSource">The source.</typeparam>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> ReadFrom<TSource>()
        where TSource : class, IRecordSource<T>
    {
        _definition.Source = static s => s.GetRequiredService<TSource>();
        _definition.SourceType = typeof(TSource);
        _definition.Inbox = false;
        return this;
    }

    /// <summary>Reads records from <typeparamref name="TSource"/>, registered with <paramref name="lifetime"/> unless the host registered it already.</summary>
    /// <typeparam name="TSource">The source.</typeparam>
    /// <param name="lifetime">
    /// <see cref="ServiceLifetime.Scoped"/> or <see cref="ServiceLifetime.Transient"/> for a new instance every run,
    /// <see cref="ServiceLifetime.Singleton"/> for one shared instance.
    /// </param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> ReadFrom<TSource>(ServiceLifetime lifetime)
        where TSource : class, IRecordSource<T>
    {
        Services.TryAdd(ServiceDescriptor.Describe(typeof(TSource), typeof(TSource), lifetime));
        return ReadFrom<TSource>();
    }

    /// <summary>
    /// Reads records from the job's inbox in the job store, filled through <see cref="IRecordInbox.OfferAsync"/>: with a durable
    /// store, an offered record survives a crash until it is delivered (or fails permanently), and is leased to one host at a time.
    /// </summary>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> ReadFromInbox()
    {
        var definition = _definition;
        _definition.Inbox = true;
        _definition.SourceType = null;
        _definition.Source = services =>
        {
            // The settings in force (run-time definitions included), not the declared ones.
            var options = services.GetRequiredService<Runners.JobEngine>().GetEntry(definition.Name).Options;
            return new InboxSource<T>(
                definition.Name,
                Math.Clamp(options.BatchSize * 2, 100, 10_000),
                definition.GetRecordId(),
                services.GetRequiredService<IRecordStore>(),
                services.GetRequiredService<EngineIdentity>(),
                services.GetRequiredService<TimeProvider>());
        };
        return this;
    }

    /// <summary>Reads records from <paramref name="source"/>.</summary>
    /// <param name="source">The source.</param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> ReadFrom(IRecordSource<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _definition.Source = _ => source;
        _definition.SourceType = null;
        _definition.Inbox = false;
        return this;
    }

    /// <summary>Delivers to the named target registered with <see cref="CommerceJobsBuilder.AddTarget(IDeliveryTarget)"/>.</summary>
    /// <param name="targetName">The target's name.</param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> DeliverTo(string targetName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(targetName);
        _definition.TargetName = targetName;
        _definition.Target = null;
        _definition.TargetType = null;
        _definition.TargetInstance = null;
        _definition.TargetKey = null;
        return this;
    }

    /// <summary>
    /// Delivers to <typeparamref name="TTarget"/>, resolved from the run's scope, under the job's name: its circuit breaker,
    /// concurrency limit and options (<see cref="CommerceJobsBuilder.ConfigureTarget(string, Action{TargetOptions})"/>,
    /// <c>Targets:{job name}</c>) are the job's own. The host registers it; the host does not start when it is not registered.
    /// </summary>
    /// <typeparam name="TTarget">The target.</typeparam>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> DeliverTo<TTarget>()
        where TTarget : class, IDeliveryTarget<T>
        => DeliverTo<TTarget>(Name);

    /// <summary>Delivers to <typeparamref name="TTarget"/> under the job's name, registered with <paramref name="lifetime"/> unless the host registered it already.</summary>
    /// <typeparam name="TTarget">The target.</typeparam>
    /// <param name="lifetime">
    /// <see cref="ServiceLifetime.Scoped"/> or <see cref="ServiceLifetime.Transient"/> for a new instance every run,
    /// <see cref="ServiceLifetime.Singleton"/> for one shared instance.
    /// </param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> DeliverTo<TTarget>(ServiceLifetime lifetime)
        where TTarget : class, IDeliveryTarget<T>
        => DeliverTo<TTarget>(Name, lifetime);

    /// <summary>
    /// Delivers to <typeparamref name="TTarget"/>, resolved from the run's scope, as the target named <paramref name="targetName"/>:
    /// every job that delivers to <typeparamref name="TTarget"/> under that name shares one circuit breaker and one concurrency
    /// limit, configured with <see cref="CommerceJobsBuilder.ConfigureTarget(string, Action{TargetOptions})"/> or
    /// <c>Targets:{targetName}</c>. The host registers it; the host does not start when it is not registered.
    /// </summary>
    /// <typeparam name="TTarget">The target.</typeparam>
    /// <param name="targetName">The target's name, as for a job's name. A name names one target: another type or instance under it, or a target registered with <c>AddTarget</c> under it, fails start-up.</param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> DeliverTo<TTarget>(string targetName)
        where TTarget : class, IDeliveryTarget<T>
    {
        Runners.JobRegistry.ValidateName(targetName, "target");
        _definition.Target = static s => s.GetRequiredService<TTarget>();
        _definition.TargetType = typeof(TTarget);
        _definition.TargetInstance = null;
        _definition.TargetName = null;
        _definition.TargetKey = targetName;
        return this;
    }

    /// <summary>Delivers to <typeparamref name="TTarget"/> as the target named <paramref name="targetName"/>, registered with <paramref name="lifetime"/> unless the host registered it already.</summary>
    /// <typeparam name="TTarget">The target.</typeparam>
    /// <param name="targetName">The target's name, as for <see cref="DeliverTo{TTarget}(string)"/>.</param>
    /// <param name="lifetime">
    /// <see cref="ServiceLifetime.Scoped"/> or <see cref="ServiceLifetime.Transient"/> for a new instance every run,
    /// <see cref="ServiceLifetime.Singleton"/> for one shared instance.
    /// </param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> DeliverTo<TTarget>(string targetName, ServiceLifetime lifetime)
        where TTarget : class, IDeliveryTarget<T>
    {
        Runners.JobRegistry.ValidateName(targetName, "target");
        Services.TryAdd(ServiceDescriptor.Describe(typeof(TTarget), typeof(TTarget), lifetime));
        return DeliverTo<TTarget>(targetName);
    }

    /// <summary>
    /// Delivers to <paramref name="target"/> under the job's name: its circuit breaker, concurrency limit and options
    /// (<see cref="CommerceJobsBuilder.ConfigureTarget(string, Action{TargetOptions})"/>, <c>Targets:{job name}</c>) are the job's own.
    /// </summary>
    /// <param name="target">The target.</param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> DeliverTo(IDeliveryTarget<T> target) => DeliverTo(Name, target);

    /// <summary>
    /// Delivers to <paramref name="target"/> as the target named <paramref name="targetName"/>: every job that delivers to this
    /// instance under that name shares one circuit breaker and one concurrency limit, configured with
    /// <see cref="CommerceJobsBuilder.ConfigureTarget(string, Action{TargetOptions})"/> or <c>Targets:{targetName}</c>.
    /// </summary>
    /// <param name="targetName">The target's name, as for a job's name. A name names one target: another instance or type under it, or a target registered with <c>AddTarget</c> under it, fails start-up.</param>
    /// <param name="target">The target.</param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> DeliverTo(string targetName, IDeliveryTarget<T> target)
    {
        Runners.JobRegistry.ValidateName(targetName, "target");
        ArgumentNullException.ThrowIfNull(target);
        _definition.Target = _ => target;
        _definition.TargetType = null;
        _definition.TargetInstance = target;
        _definition.TargetName = null;
        _definition.TargetKey = targetName;
        return this;
    }

    /// <summary>
    /// Reports each record's final outcome to <typeparamref name="TSink"/> (Submitted / ExportFailed), resolved from the
    /// run's scope. The host registers it; the host does not start when it is not registered.
    /// </summary>
    /// <typeparam name="TSink">The status sink.</typeparam>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> ReportStatusTo<TSink>()
        where TSink : class, IRecordStatusSink<T>
    {
        _definition.Sink = static s => s.GetRequiredService<TSink>();
        _definition.SinkType = typeof(TSink);
        return this;
    }

    /// <summary>Reports each record's final outcome to <typeparamref name="TSink"/>, registered with <paramref name="lifetime"/> unless the host registered it already.</summary>
    /// <typeparam name="TSink">The status sink.</typeparam>
    /// <param name="lifetime">
    /// <see cref="ServiceLifetime.Scoped"/> or <see cref="ServiceLifetime.Transient"/> for a new instance every run,
    /// <see cref="ServiceLifetime.Singleton"/> for one shared instance.
    /// </param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> ReportStatusTo<TSink>(ServiceLifetime lifetime)
        where TSink : class, IRecordStatusSink<T>
    {
        Services.TryAdd(ServiceDescriptor.Describe(typeof(TSink), typeof(TSink), lifetime));
        return ReportStatusTo<TSink>();
    }

    /// <summary>Reports each record's final outcome to <paramref name="sink"/>.</summary>
    /// <param name="sink">The status sink.</param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> ReportStatusTo(IRecordStatusSink<T> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _definition.Sink = _ => sink;
        _definition.SinkType = null;
        return this;
    }

    /// <summary>Leaves record status alone (exports to reporting systems): the status sink is not called.</summary>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> WithoutStatusUpdates() => Configure(static o => o.UpdateStatus = false);

    /// <summary>Says how to get a record's stable id, for record types that do not implement <see cref="IRecord"/>.</summary>
    /// <param name="recordId">Gives the id (an order number).</param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> WithKey(Func<T, string> recordId)
    {
        ArgumentNullException.ThrowIfNull(recordId);
        _definition.RecordId = recordId;
        return this;
    }

    /// <summary>Sets the batch options.</summary>
    /// <param name="size">Records per delivery call.</param>
    /// <param name="maxItemsToSkip">How many records a run may fail to export (skipped, failed permanently or quarantined) before it fails; <see langword="null"/> keeps the default.</param>
    /// <param name="maxAge">The age of the oldest record read ("maximum number of days to export"); <see langword="null"/> for no limit.</param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> Batch(int size, int? maxItemsToSkip = null, TimeSpan? maxAge = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        return Configure(o =>
        {
            o.BatchSize = size;
            o.MaxItemsToSkip = maxItemsToSkip ?? o.MaxItemsToSkip;
            o.MaxAge = maxAge ?? o.MaxAge;
        });
    }

    /// <summary>Retries a batch that failed transiently up to <paramref name="maxRetries"/> times, all within <paramref name="window"/> of its first failure.</summary>
    /// <param name="maxRetries">The most retries (0 for none).</param>
    /// <param name="window">The window every retry must start in.</param>
    /// <returns>This builder.</returns>
    public RecordJobBuilder<T> RetryWithin(int maxRetries, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        return Configure(o =>
        {
            o.RetryWindow.MaxRetries = maxRetries;
            o.RetryWindow.Window = window;
        });
    }
}
