using Commerce.Jobs.EntitySync;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>Declares the synchronization of one entity type: its targets, its source for full and targeted syncs, and its delivery settings.</summary>
/// <remarks>
/// What is declared here is the type's configuration when the host starts; <see cref="IEntitySync"/> changes it at run
/// time. Delivery settings are the type's named <see cref="EntitySyncOptions"/>, overridden by configuration
/// (<c>CommerceJobs:EntitySync:{entity type}</c>).
/// </remarks>
public sealed class EntitySyncBuilder
{
    private readonly EntitySyncDeclaration _declaration;

    internal EntitySyncBuilder(IServiceCollection services, EntitySyncDeclaration declaration)
    {
        Services = services;
        _declaration = declaration;
        services.AddOptions<EntitySyncOptions>(EntityType).ValidateOnStart();
    }

    /// <summary>Gets the entity type.</summary>
    public string EntityType => _declaration.Configuration.EntityType;

    /// <summary>Gets the service collection, to register what the sync needs.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Gets the builder of the type's <see cref="EntitySyncOptions"/> (named after the entity type, validated at start-up), to
    /// chain <c>Validate</c>, <c>BindConfiguration</c>, <c>PostConfigure</c> and the rest as with any named options.
    /// </summary>
    public OptionsBuilder<EntitySyncOptions> Options => new(Services, EntityType);

    /// <summary>Delivers the type's changes to the named targets registered with <see cref="CommerceJobsBuilder.AddTarget(IDeliveryTarget)"/>; each progresses independently.</summary>
    /// <param name="targetNames">One or more target names; replaces any named before. Unknown names fail at start-up.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">No name, or an empty one, was given.</exception>
    public EntitySyncBuilder DeliverTo(params string[] targetNames)
    {
        ArgumentNullException.ThrowIfNull(targetNames);
        if (targetNames.Length == 0)
        {
            throw new ArgumentException($"Entity sync '{EntityType}': DeliverTo needs at least one target name.", nameof(targetNames));
        }

        foreach (var name in targetNames)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(name, nameof(targetNames));
        }

        _declaration.Configuration = _declaration.Configuration with { Targets = [.. targetNames] };
        return this;
    }

    /// <summary>Reads entities for full and targeted syncs from <typeparamref name="TSource"/>, resolved from a scope per sync (registered scoped if not already).</summary>
    /// <typeparam name="TSource">The source.</typeparam>
    /// <returns>This builder.</returns>
    public EntitySyncBuilder ReadFrom<TSource>()
        where TSource : class, IEntitySource
    {
        Services.TryAddScoped<TSource>();
        _declaration.Source = static s => s.GetRequiredService<TSource>();
        return this;
    }

    /// <summary>Reads entities for full and targeted syncs from <paramref name="source"/>.</summary>
    /// <param name="source">The source.</param>
    /// <returns>This builder.</returns>
    public EntitySyncBuilder ReadFrom(IEntitySource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _declaration.Source = _ => source;
        return this;
    }

    /// <summary>Starts the type paused: upserts are held (consolidated per id) until <see cref="IEntitySync.ResumeAsync(string, CancellationToken)"/>.</summary>
    /// <returns>This builder.</returns>
    public EntitySyncBuilder Paused()
    {
        _declaration.Configuration = _declaration.Configuration with { Paused = true };
        return this;
    }

    /// <summary>Starts the type disabled: it accepts no changes and delivers nothing until enabled with <see cref="IEntitySync.PutConfigurationAsync(EntitySyncConfiguration, CancellationToken)"/>.</summary>
    /// <returns>This builder.</returns>
    public EntitySyncBuilder Disabled()
    {
        _declaration.Configuration = _declaration.Configuration with { Enabled = false };
        return this;
    }

    /// <summary>Turns incremental sync off: published changes are ignored, only full and targeted syncs deliver.</summary>
    /// <returns>This builder.</returns>
    public EntitySyncBuilder WithoutIncrementalSync()
    {
        _declaration.Configuration = _declaration.Configuration with { IncrementalSync = false };
        return this;
    }

    /// <summary>Sets the batch options.</summary>
    /// <param name="size">Changes per delivery call.</param>
    /// <param name="maxItemsToSkip">How many changes a delivery pass may skip before it stops and waits; <see langword="null"/> keeps the default.</param>
    /// <returns>This builder.</returns>
    public EntitySyncBuilder Batch(int size, int? maxItemsToSkip = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        return Configure(o =>
        {
            o.BatchSize = size;
            o.MaxItemsToSkip = maxItemsToSkip ?? o.MaxItemsToSkip;
        });
    }

    /// <summary>Retries a batch that failed transiently up to <paramref name="maxRetries"/> times, all within <paramref name="window"/> of its first failure.</summary>
    /// <param name="maxRetries">The most retries (0 for none).</param>
    /// <param name="window">The window every retry must start in.</param>
    /// <returns>This builder.</returns>
    public EntitySyncBuilder RetryWithin(int maxRetries, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        return Configure(o =>
        {
            o.RetryWindow.MaxRetries = maxRetries;
            o.RetryWindow.Window = window;
        });
    }

    /// <summary>Sets any of the type's delivery options in code.</summary>
    /// <param name="configure">Changes the options.</param>
    /// <returns>This builder.</returns>
    public EntitySyncBuilder Configure(Action<EntitySyncOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Services.Configure(EntityType, configure);
        return this;
    }
}
