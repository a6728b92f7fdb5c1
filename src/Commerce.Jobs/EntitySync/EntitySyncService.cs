using Commerce.Jobs.Records;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.EntitySync;

/// <summary>
/// Entity synchronization: one <see cref="EntitySyncLane"/> per (entity type, target), configurations managed at run
/// time. Publishing writes the changes to the store, then rings each lane of their type (the store is the truth: the
/// lanes claim what it holds).
/// </summary>
/// <remarks>
/// Configurations are replaced copy-on-write (publishers read a snapshot without locking); changes to them are
/// serialized by one asynchronous gate. The gate is never held while waiting for a target: lanes are paused and stopped
/// under it, and waited for (bounded) after it is released; removed lanes end in the background.
/// A change that removes a type or some of its targets (here, or another host's applied by a refresh) waits under the
/// gate for the publishes that read the configuration before it and for the removed lanes' writes in flight
/// (<see cref="EntitySyncPublishFence"/>; later ones are not written), then clears the store: a deleted configuration
/// leaves nothing behind, and a put of a type deleted here starts from a clean state (what another host published for
/// it before learning of the deletion goes).
/// </remarks>
internal sealed partial class EntitySyncService : IEntitySync, IAsyncDisposable
{
    private readonly EntitySyncRegistry _declarations;
    private readonly JobRegistry _registry;
    private readonly NamedTargets _targets;
    private readonly IJobStore _store;
    private readonly IOptionsMonitor<EntitySyncOptions> _options;
    private readonly IValidateOptions<EntitySyncOptions>[] _validators;
    private readonly IOptions<CommerceJobsOptions> _engineOptions;
    private readonly IServiceProvider _services;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Dictionary<string, DateTimeOffset>> _changedAt = new(StringComparer.OrdinalIgnoreCase);  // per type and field, when the value in effect here was changed at run time, here or on any host (under the gate)
    private readonly List<Task> _retiring = [];  // lanes removed while running, ending in the background (under the gate)
    private readonly HashSet<string> _deleted = new(StringComparer.OrdinalIgnoreCase);  // types deleted here, or whose stored deletion was applied here, not put since (under the gate)
    private readonly Lock _stopGate = new();
    private Task? _stop;  // the one stop (guarded by _stopGate)
    private volatile Dictionary<string, TypeState> _types = new(StringComparer.OrdinalIgnoreCase);
    private volatile bool _started;
    private volatile bool _stopped;  // set without the gate: see StopOnceAsync
    private int _disposed;

    public EntitySyncService(
        EntitySyncRegistry declarations,
        JobRegistry registry,
        NamedTargets targets,
        IJobStore store,
        IOptionsMonitor<EntitySyncOptions> options,
        IEnumerable<IValidateOptions<EntitySyncOptions>> validators,
        IOptions<CommerceJobsOptions> engineOptions,
        IServiceProvider services,
        TimeProvider timeProvider,
        ILogger<EntitySyncService> logger)
    {
        _declarations = declarations;
        _registry = registry;
        _targets = targets;
        _store = store;
        _options = options;
        _validators = [.. validators];
        _engineOptions = engineOptions;
        _services = services;
        _time = timeProvider;
        _logger = logger;

        var types = new Dictionary<string, TypeState>(StringComparer.OrdinalIgnoreCase);
        foreach (var declaration in declarations.Declarations)
        {
            var configuration = declaration.Configuration;
            if (ValidateConfiguration(configuration, registry).FirstOrDefault() is { } error)
            {
                throw new InvalidOperationException(error);
            }

            var laneOptions = EntitySyncFields.Effective(options.Get(configuration.EntityType), configuration);
            var lanes = configuration.Targets.Select(t => CreateLane(configuration, t, laneOptions, declaration.Source)).ToArray();
            foreach (var lane in lanes)
            {
                lane.SetEnabled(configuration.Enabled);
                lane.SetPaused(configuration.Paused);
            }

            types[configuration.EntityType] = new TypeState(configuration, lanes, declaration.Source, configuration.Paused ? timeProvider.GetUtcNow() : null, new());
        }

        _types = types;
    }

    /// <inheritdoc />
    public async ValueTask<bool> PublishAsync(EntityChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        return await PublishAsync([change], cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <inheritdoc />
    public async ValueTask<int> PublishAsync(IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        if (changes.Count == 0)
        {
            return 0;
        }

        var types = _types;
        var first = changes[0] ?? throw new ArgumentException("The changes contain null.", nameof(changes));
        var oneType = true;
        for (var i = 1; i < changes.Count && oneType; i++)
        {
            oneType = changes[i] is { } c
                ? string.Equals(c.EntityType, first.EntityType, StringComparison.OrdinalIgnoreCase)
                : throw new ArgumentException("The changes contain null.", nameof(changes));
        }

        if (oneType)
        {
            return await PublishAsync(types, first.EntityType, changes, cancellationToken).ConfigureAwait(false);
        }

        var accepted = 0;
        foreach (var group in changes.GroupBy(c => c.EntityType, StringComparer.OrdinalIgnoreCase))
        {
            accepted += await PublishAsync(types, group.Key, [.. group], cancellationToken).ConfigureAwait(false);
        }

        return accepted;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<EntitySyncConfiguration>> GetConfigurationsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<EntitySyncConfiguration> result = [.. _types.Values.Select(s => s.Configuration).OrderBy(c => c.EntityType, StringComparer.OrdinalIgnoreCase)];
        return ValueTask.FromResult(result);
    }

    /// <inheritdoc />
    public ValueTask<EntitySyncConfiguration?> GetConfigurationAsync(string entityType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        return ValueTask.FromResult(_types.TryGetValue(entityType, out var state) ? state.Configuration : null);
    }

    /// <inheritdoc />
    public IReadOnlyList<EntitySyncStatus> GetStatus(string entityType)
    {
        var state = GetState(entityType);
        return [.. state.Lanes.Select(l => l.GetStatus(state.PausedSince))];
    }

    /// <summary>Reads every lane's counts from the store now (the status is as fresh as the last poll; tests call it directly).</summary>
    internal Task RefreshStatusAsync() => Task.WhenAll(_types.Values.SelectMany(s => s.Lanes).Select(l => l.RefreshCountsAsync()));

    /// <inheritdoc />
    public IReadOnlyList<EntitySyncStatus> GetStatuses() =>
        [.. _types.Values.OrderBy(s => s.Configuration.EntityType, StringComparer.OrdinalIgnoreCase).SelectMany(s => s.Lanes.Select(l => l.GetStatus(s.PausedSince)))];

    /// <summary>The change with the type spelled as configured (targets see that spelling).</summary>
    internal static EntityChange Canonical(EntityChange change, string type) =>
        string.Equals(change.EntityType, type, StringComparison.Ordinal) ? change
        : change.Kind == EntityChangeKind.Upsert ? EntityChange.Upsert(type, change.Id, change.Payload, change.Version)
        : EntityChange.Delete(type, change.Id, change.Version);

    private async ValueTask<int> PublishAsync(Dictionary<string, TypeState> types, string entityType, IReadOnlyList<EntityChange> changes, CancellationToken cancellationToken)
    {
        TypeState? state;
        while (true)
        {
            if (!types.TryGetValue(entityType, out state) || !state.Configuration.Enabled || !state.Configuration.IncrementalSync)
            {
                return 0;
            }

            if (state.Publishes.TryEnter())
            {
                break;
            }

            // A change removed the type or some of its targets since it was read: publish under the configuration in effect.
            types = _types;
        }

        try
        {
            var type = state.Configuration.EntityType;
            if (!string.Equals(entityType, type, StringComparison.Ordinal) || changes.Any(c => !string.Equals(c.EntityType, type, StringComparison.Ordinal)))
            {
                changes = [.. changes.Select(c => Canonical(c, type))];
            }

            // Held in the store: from here on a crash loses nothing, and every host's lanes may claim them.
            var held = await _store.AddEntityChangesAsync(state.Configuration.Targets, changes, repair: false, cancellationToken).ConfigureAwait(false);
            var lanes = state.Lanes;
            if (state.Publishes.IsClosed)
            {
                // Removed meanwhile: the change clears the store once this publish is done; only lanes still in effect count.
                var current = _types.GetValueOrDefault(type)?.Lanes ?? [];
                lanes = [.. lanes.Where(l => Array.IndexOf(current, l) >= 0)];
            }

            foreach (var lane in lanes)
            {
                lane.Ring();
            }

            return lanes.Length > 0 ? held : 0;
        }
        finally
        {
            state.Publishes.Exit();
        }
    }

    private TypeState GetState(string entityType)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        return _types.TryGetValue(entityType, out var state)
            ? state
            : throw new ArgumentException($"No entity sync is configured for '{entityType}'.", nameof(entityType));
    }

    /// <summary>Replaces the configurations with a changed copy (called under the gate).</summary>
    private void Swap(Action<Dictionary<string, TypeState>> change)
    {
        var copy = new Dictionary<string, TypeState>(_types, StringComparer.OrdinalIgnoreCase);
        change(copy);
        _types = copy;
    }

    /// <summary>One entity type: its configuration, its lanes (one per target, in the configuration's order), its source, since when it is paused, and the publishes in flight on its lanes.</summary>
    private sealed record TypeState(EntitySyncConfiguration Configuration, EntitySyncLane[] Lanes, Func<IServiceProvider, IEntitySource>? Source, DateTimeOffset? PausedSince, EntitySyncPublishFence Publishes);
}
