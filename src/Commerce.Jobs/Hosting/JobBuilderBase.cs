using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>What every job declaration can say: its schedule, concurrency, notifications and history.</summary>
/// <typeparam name="TBuilder">The concrete builder, returned for chaining.</typeparam>
/// <remarks>
/// Each call sets a default of the job's <see cref="JobOptions"/>; configuration bound with
/// <see cref="CommerceJobsBuilder.BindConfiguration"/> overrides it.
/// </remarks>
public abstract class JobBuilderBase<TBuilder>
    where TBuilder : JobBuilderBase<TBuilder>
{
    private readonly JobOptions _declared = new();

    private protected JobBuilderBase(IServiceCollection services, string name)
    {
        Services = services;
        Name = name;

        // No ValidateOnStart per job (it costs memory per job): the engine-wide start-up validation checks every job's
        // options and reports all the bad ones together.
    }

    /// <summary>Gets the job's name.</summary>
    public string Name { get; }

    /// <summary>Gets the service collection, to register what the job needs.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Gets the builder of the job's <see cref="JobOptions"/> (named after the job), to chain <c>Validate</c>,
    /// <c>BindConfiguration</c>, <c>PostConfigure</c> and the rest as with any named options. Its checks run with the
    /// engine's start-up validation, which reports every failing job together.
    /// </summary>
    /// <example><code>jobs.AddJob&lt;ProductRefresh&gt;("product-refresh").Options.BindConfiguration("ProductRefresh");</code></example>
    public OptionsBuilder<JobOptions> Options => new(Services, Name);

    /// <summary>Adds a schedule; several combine ("every 30 minutes" and "daily at 02:00").</summary>
    /// <param name="schedule">The schedule.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="InvalidOperationException">The schedule conflicts with one added before (two cron expressions, two time zones).</exception>
    public TBuilder Schedule(Schedule schedule)
    {
        ArgumentNullException.ThrowIfNull(schedule);
        schedule.ApplyTo(_declared);
        return Configure(schedule.ApplyTo);
    }

    /// <summary>Sets how many runs of the job may run at once; triggers beyond it coalesce into one follow-up run.</summary>
    /// <param name="maxConcurrency">At least 1.</param>
    /// <returns>This builder.</returns>
    public TBuilder MaxConcurrency(int maxConcurrency)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        return Configure(o => o.MaxConcurrency = maxConcurrency);
    }

    /// <summary>Tells the failure notifiers about every run, not only failed ones.</summary>
    /// <returns>This builder.</returns>
    public TBuilder NotifyOnEveryRun() => Configure(static o => o.NotifyOnEveryRun = true);

    /// <summary>Switches the failure notifiers on or off for the job (<see cref="JobOptions.NotifyOnFailure"/>; on by default).</summary>
    /// <param name="notify"><see langword="false"/> to tell no notifier about the job.</param>
    /// <returns>This builder.</returns>
    public TBuilder NotifyOnFailure(bool notify) => Configure(o => o.NotifyOnFailure = notify);

    /// <summary>Sets how much history the job keeps.</summary>
    /// <param name="maxArchivedRuns">The most runs kept, with their logs.</param>
    /// <param name="retention">How long runs are kept before nightly maintenance purges them.</param>
    /// <returns>This builder.</returns>
    public TBuilder KeepHistory(int maxArchivedRuns, TimeSpan retention)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxArchivedRuns, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(retention, TimeSpan.Zero);
        return Configure(o =>
        {
            o.MaxArchivedRuns = maxArchivedRuns;
            o.HistoryRetention = retention;
        });
    }

    /// <summary>Sets any of the job's options in code.</summary>
    /// <param name="configure">Changes the options.</param>
    /// <returns>This builder.</returns>
    public TBuilder Configure(Action<JobOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(Name, configure);
        return (TBuilder)this;
    }
}
