using System.Buffers;
using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Records;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Microsoft.Extensions.DependencyInjection;
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
/// gate for the publishes that read the configuration before it (<see cref="EntitySyncPublishFence"/>), then clears
/// the store: a deleted configuration leaves no held changes behind, and a put of a type deleted here starts from a
/// clean state (what another host published for it before learning of the deletion goes).
/// </remarks>
internal sealed class EntitySyncService : IEntitySync, IOperatorStateApplier, IAsyncDisposable
{
    private static readonly SearchValues<char> NameChars = SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.");

    private readonly EntitySyncRegistry _declarations;
    private readonly JobRegistry _registry;
    private readonly NamedTargets _targets;
    private readonly IJobStore _store;
    private readonly IOptionsMonitor<EntitySyncOptions> _options;
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

            var laneOptions = options.Get(configuration.EntityType);
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
    public async ValueTask PauseAsync(string entityType, CancellationToken cancellationToken)
    {
        Task paused;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = GetState(entityType);
            if (PauseLocked(state, out paused))
            {
                await SaveLockedAsync(state.Configuration.EntityType, [EntitySyncFields.Paused]).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }

        await paused.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask ResumeAsync(string entityType, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var state = GetState(entityType);
            if (ResumeLocked(state))
            {
                await SaveLockedAsync(state.Configuration.EntityType, [EntitySyncFields.Paused]).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask PauseAllAsync(CancellationToken cancellationToken)
    {
        var paused = new List<Task>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var state in _types.Values)
            {
                var changed = PauseLocked(state, out var lanesPaused);
                paused.Add(lanesPaused);
                if (changed)
                {
                    await SaveLockedAsync(state.Configuration.EntityType, [EntitySyncFields.Paused]).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _gate.Release();
        }

        await Task.WhenAll(paused).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask ResumeAllAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var state in _types.Values)
            {
                if (ResumeLocked(state))
                {
                    await SaveLockedAsync(state.Configuration.EntityType, [EntitySyncFields.Paused]).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public async ValueTask StartFullSyncAsync(string entityType, CancellationToken cancellationToken)
    {
        var state = GetState(entityType);
        var source = GetSource(state);
        foreach (var lane in state.Lanes)
        {
            await lane.RequestFullSyncAsync(source, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> SyncIdsAsync(string entityType, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var state = GetState(entityType);
        var factory = GetSource(state);
        if (ids.Count == 0)
        {
            return 0;
        }

        var type = state.Configuration.EntityType;
        var changes = new List<EntityChange>(ids.Count);
        var scope = _services.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var source = factory(scope.ServiceProvider);
            await foreach (var change in source.ReadAsync(type, ids, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                if (change is null || !string.Equals(change.EntityType, type, StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"Entity sync '{type}': the entity source returned {(object?)change ?? "null"} for a targeted sync of '{type}'.");
                }

                changes.Add(Canonical(change, type));
            }
        }

        if (changes.Count > 0)
        {
            // Repairs: delivered again at the version a target has (that is their purpose), never below it.
            await _store.AddEntityChangesAsync(state.Configuration.Targets, changes, repair: true, cancellationToken).ConfigureAwait(false);
            foreach (var lane in state.Lanes)
            {
                lane.Ring();
            }
        }

        return changes.Count;
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
    public async ValueTask PutConfigurationAsync(EntitySyncConfiguration configuration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var (options, errors) = Check(configuration);
        if (errors.Count > 0)
        {
            throw new ArgumentException($"The entity sync configuration was rejected and nothing was changed: {string.Join(" ", errors)}", nameof(configuration));
        }

        Task paused;
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Only the settings this put changes are written: a concurrent change of another setting on another host holds.
            var before = _types.GetValueOrDefault(configuration.EntityType)?.Configuration;
            if (before is null && _deleted.Contains(configuration.EntityType))
            {
                // Deleted: it starts from a clean state. Another host that had not learned of the deletion yet may have
                // published to the store since (if this fails, nothing was changed).
                await _store.ClearEntitySyncAsync(configuration.EntityType, null, cancellationToken).ConfigureAwait(false);
            }

            (var type, paused) = await ReplaceLockedAsync(configuration, options!, null, cancellationToken).ConfigureAwait(false);
            _deleted.Remove(type);
            // A put also says the type exists: its "deleted" field is written too, so a put made after a delete on another
            // host (that this host has not seen yet) wins over it, as the newer change.
            var fields = EntitySyncFields.Changed(before, _types[type].Configuration);
            await SaveLockedAsync(type, fields.Contains(EntitySyncFields.Deleted) ? fields : [EntitySyncFields.Deleted, .. fields]).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        await paused.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteConfigurationAsync(string entityType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_types.TryGetValue(entityType, out var state))
            {
                return false;
            }

            Swap(types => types.Remove(entityType));
            RetireLocked(state.Lanes);
            _deleted.Add(state.Configuration.EntityType);

            // Gone for publishes from now on; those that read the configuration before are waited for, so none writes
            // to the store after the clear.
            await state.Publishes.CloseAsync().ConfigureAwait(false);
            await _store.ClearEntitySyncAsync(state.Configuration.EntityType, null, CancellationToken.None).ConfigureAwait(false);
            await SaveLockedAsync(state.Configuration.EntityType, [EntitySyncFields.Deleted]).ConfigureAwait(false);
            EntitySyncLog.ConfigurationChanged(_logger, state.Configuration.EntityType, "deleted");
            return true;
        }
        finally
        {
            _gate.Release();
        }
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

    /// <summary>Checks a configuration and the type's options (batch, retry window) it would run with.</summary>
    /// <returns>The options when valid, and what is wrong otherwise.</returns>
    private (EntitySyncOptions? Options, List<string> Errors) Check(EntitySyncConfiguration configuration)
    {
        var errors = ValidateConfiguration(configuration, _registry).ToList();
        if (errors.Count > 0)
        {
            return (null, errors);
        }

        try
        {
            return (_options.Get(configuration.EntityType), errors);
        }
        catch (OptionsValidationException ex)
        {
            errors.AddRange(ex.Failures);
            return (null, errors);
        }
    }

    /// <summary>Says what is wrong with a configuration, if anything; each message names the type and the setting.</summary>
    internal static IEnumerable<string> ValidateConfiguration(EntitySyncConfiguration configuration, JobRegistry registry)
    {
        var type = configuration.EntityType;
        if (string.IsNullOrWhiteSpace(type))
        {
            yield return "Entity sync: EntityType must not be empty.";
            type = "(empty)";
        }
        else if (type.Length > 100 || type.AsSpan().IndexOfAnyExcept(NameChars) >= 0)
        {
            yield return $"Entity sync '{type}': EntityType must be 1 to 100 letters, digits, '-', '_' or '.'.";
        }

        if (configuration.Targets is not { Count: > 0 } targets)
        {
            yield return $"Entity sync '{type}': Targets must name at least one delivery target (DeliverTo).";
            yield break;
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var target in targets)
        {
            if (string.IsNullOrWhiteSpace(target))
            {
                yield return $"Entity sync '{type}': Targets contains an empty target name.";
            }
            else if (!seen.Add(target))
            {
                yield return $"Entity sync '{type}': Targets names '{target}' twice.";
            }
            else if (!registry.Targets.ContainsKey(target))
            {
                var known = registry.Targets.Count == 0 ? "none" : string.Join(", ", registry.Targets.Keys.Order(StringComparer.OrdinalIgnoreCase));
                yield return $"Entity sync '{type}': target '{target}' is not a registered delivery target (registered: {known}).";
            }
        }
    }

    /// <summary>Starts every lane (each claims what the store holds for its target).</summary>
    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_started || _stopped)
            {
                return;
            }

            await RestoreLockedAsync(cancellationToken).ConfigureAwait(false);

            // Started, then checked for a stop (which sets stopped, then reads started): either the stop sees these lanes
            // or they do not start.
            _started = true;
            Interlocked.MemoryBarrier();
            if (_stopped)
            {
                return;
            }

            foreach (var lane in _types.Values.SelectMany(s => s.Lanes))
            {
                lane.Start();
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Puts in place what was changed at run time (on this host before a restart, or on another host sharing the store):
    /// stored fields win over the declarations, each field unless changed here since (the newest change wins per field);
    /// a stored deletion removes a declared type. A stored configuration that is no longer valid (a target since removed
    /// from the code) is logged and the declaration kept.
    /// </summary>
    private async Task RestoreLockedAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<OperatorStateEntry> stored;
        try
        {
            stored = await _store.GetAsync(OperatorStateKinds.EntitySync, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            EntitySyncLog.ConfigurationsNotRestored(_logger, ex);
            return;
        }

        await ApplyLockedAsync(stored, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Applies the stored entries (called under the gate): each field newer than this host's, per type.</summary>
    private async Task ApplyLockedAsync(IReadOnlyList<OperatorStateEntry> stored, CancellationToken cancellationToken)
    {
        foreach (var entry in stored)
        {
            if (entry?.Name is not { } type || entry.Fields is null)
            {
                continue;
            }

            // Newest wins per field: what this host changed (or applied) since is kept.
            var known = _changedAt.GetValueOrDefault(type);
            var fields = entry.Fields.Where(f => f is not null && EntitySyncFields.IsKnown(f.Name)).ToList();
            var newer = fields.Where(f => known is null || !known.TryGetValue(f.Name, out var seen) || seen < f.ChangedAt).ToList();
            if (newer.Count == 0)
            {
                continue;
            }

            var changedAt = newer.Max(f => f.ChangedAt);
            try
            {
                await ApplyLockedAsync(type, fields, newer, changedAt, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Its stamps stay behind: the next refresh tries again.
                EntitySyncLog.ConfigurationNotApplied(_logger, type, changedAt, ex);
                continue;
            }

            // Only once applied (or found invalid and logged): a change that failed half-way is tried again.
            if (known is null)
            {
                _changedAt[type] = known = new(StringComparer.Ordinal);
            }

            foreach (var field in newer)
            {
                known[field.Name] = field.ChangedAt;
            }
        }
    }

    /// <summary>
    /// Applies a type's stored fields that are newer than this host's (called under the gate): a deletion, or the
    /// configuration in effect here (else the declaration) with those fields changed; a retry after a failure applies it again.
    /// </summary>
    /// <param name="entityType">The type.</param>
    /// <param name="fields">Every stored field of the type (what a host that does not hold the type builds it from).</param>
    /// <param name="newer">The stored fields newer than this host's.</param>
    /// <param name="changedAt">When the newest of them was changed.</param>
    /// <param name="cancellationToken">Cancels the apply.</param>
    private async Task ApplyLockedAsync(string entityType, List<OperatorStateField> fields, List<OperatorStateField> newer, DateTimeOffset changedAt, CancellationToken cancellationToken)
    {
        var current = _types.GetValueOrDefault(entityType);
        var deletedField = newer.LastOrDefault(f => f.Name == EntitySyncFields.Deleted);
        var deleted = deletedField is not null ? OperatorStateValues.ParseFlag(deletedField.Value) ?? false : current is null && fields.Any(f => f.Name == EntitySyncFields.Deleted && f.Value == OperatorStateValues.Format(true));
        if (deleted)
        {
            if (current is not null)
            {
                Swap(types => types.Remove(entityType));
                RetireLocked(current.Lanes);
                EntitySyncLog.ConfigurationChanged(_logger, current.Configuration.EntityType, "deleted (stored)");
                await current.Publishes.CloseAsync().ConfigureAwait(false);
            }

            _deleted.Add(entityType);

            // What this host accepted for the type since it was deleted elsewhere goes too (again, if a clear failed before).
            if (deletedField is not null)
            {
                await _store.ClearEntitySyncAsync(entityType, null, CancellationToken.None).ConfigureAwait(false);
            }

            return;
        }

        // On what is in effect here, the newer fields; on a type this host does not hold, every stored field (over the
        // declaration, if any: fields never written are as declared).
        var configuration = current?.Configuration
            ?? (_declarations.TryGet(entityType, out var declaration) ? declaration.Configuration : null)
            ?? new EntitySyncConfiguration { EntityType = entityType, Targets = [] };
        foreach (var field in current is null ? fields : newer)
        {
            if (field.Name != EntitySyncFields.Deleted && !EntitySyncFields.TryApply(ref configuration, field))
            {
                EntitySyncLog.ConfigurationNotRestored(_logger, entityType, $"Entity sync '{entityType}': the stored {field.Name} could not be read.");
                return;
            }
        }

        configuration = configuration with { EntityType = entityType };
        var (options, errors) = Check(configuration);
        if (errors.Count > 0)
        {
            EntitySyncLog.ConfigurationNotRestored(_logger, entityType, string.Join(" ", errors));
            return;
        }

        if (!_started && _declarations.TryGet(configuration.EntityType, out var declared) && !declared.Configuration.Equals(configuration))
        {
            EntitySyncLog.DeclarationOverridden(_logger, configuration.EntityType, changedAt);
        }

        // A pause is in effect at once (since its stored change); a delivery it cancels ends in the background.
        var pausedAt = fields.LastOrDefault(f => f.Name == EntitySyncFields.Paused)?.ChangedAt;
        await ReplaceLockedAsync(configuration, options!, pausedAt ?? changedAt, cancellationToken).ConfigureAwait(false);
        _deleted.Remove(entityType);
    }

    /// <inheritdoc />
    string IOperatorStateApplier.Kind => OperatorStateKinds.EntitySync;

    /// <summary>Applies what other hosts stored (a pass of the <see cref="OperatorStateRefresher"/>), once started and unless stopped meanwhile; never throws but for cancellation.</summary>
    async Task IOperatorStateApplier.ApplyAsync(IReadOnlyList<OperatorStateEntry> entries, CancellationToken cancellationToken)
    {
        try
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (_started && !_stopped)
                {
                    await ApplyLockedAsync(entries, cancellationToken).ConfigureAwait(false);
                }
            }
            finally
            {
                _gate.Release();
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            EntitySyncLog.RefreshFailed(_logger, ex);
        }
    }

    /// <inheritdoc />
    void IOperatorStateApplier.Failed(Exception exception) => EntitySyncLog.ConfigurationsNotRestored(_logger, exception);

    /// <summary>
    /// Stops every lane: batches in progress finish within the shutdown timeout (cut short by
    /// <paramref name="cancellationToken"/>), then are cancelled and, if a target ignores that, abandoned after
    /// <see cref="EntitySyncDefaults.AbandonAfter"/>; what is not delivered stays in the store. Returns within the
    /// shutdown timeout and that, whatever a target or the store does. Called again (by <see cref="DisposeAsync"/>, or
    /// while stopping), it returns the same stop.
    /// </summary>
    internal Task StopAsync(CancellationToken cancellationToken)
    {
        lock (_stopGate)
        {
            return _stop ??= StopOnceAsync(cancellationToken);
        }
    }

    private async Task StopOnceAsync(CancellationToken cancellationToken)
    {
        // Without the gate: a refresh pass or a configuration change stuck in the store may hold it. Stopped, then the
        // lanes read (a change puts its lanes in place, then checks for a stop before it starts them): every lane that
        // runs is stopped here, and none starts after.
        _stopped = true;
        Interlocked.MemoryBarrier();
        var started = _started;

        // Options are read only when started (a host that failed validation at start still disposes).
        var grace = started ? _engineOptions.Value.ShutdownTimeout : TimeSpan.Zero;
        var deadline = _time.GetUtcNow() + (cancellationToken.IsCancellationRequested ? TimeSpan.Zero : grace) + EntitySyncDefaults.AbandonAfter;
        var lanes = started ? _types.Values.SelectMany(s => s.Lanes).ToArray() : [];
        var stopping = lanes.Select(l => l.StopAsync(grace, cancellationToken)).ToList();

        // A refresh pass (the engine's) or a change stuck in a store call holds the gate: waited for until the deadline, no longer.
        using (var giveUp = new CancellationTokenSource(Max(deadline - _time.GetUtcNow(), TimeSpan.Zero), _time))
        {
            try
            {
                await _gate.WaitAsync(giveUp.Token).ConfigureAwait(false);
                try
                {
                    stopping.AddRange(_retiring);
                }
                finally
                {
                    _gate.Release();
                }
            }
            catch (OperationCanceledException)
            {
                // A configuration change stuck in the store: the lanes it removed end on their own, bounded.
                Log.StopAbandoned(_logger, "Entity sync's configuration change");
            }
        }

        // Each lane bounds its own stop (the grace, then a short wait for a cancelled delivery).
        await Task.WhenAll(stopping).ConfigureAwait(false);

        static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
    }

    /// <summary>Stops (or awaits the stop in progress, bounded as it is), then releases the lanes.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await StopAsync(new CancellationToken(canceled: true)).ConfigureAwait(false);
        foreach (var lane in _types.Values.SelectMany(s => s.Lanes))
        {
            lane.Dispose();
        }

        // A call stuck in the store may still hold the gate, and releases it later.
        if (_gate.Wait(0))
        {
            _gate.Dispose();
        }

    }

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
            await _store.AddEntityChangesAsync(state.Configuration.Targets, changes, repair: false, cancellationToken).ConfigureAwait(false);
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

            return lanes.Length > 0 ? changes.Count : 0;
        }
        finally
        {
            state.Publishes.Exit();
        }
    }

    /// <summary>
    /// Puts a valid configuration in place (called under the gate): lanes of kept targets stay, new ones are created
    /// (and started when the service runs), removed ones are stopped and their held changes cleared.
    /// </summary>
    /// <returns>The entity type as it is kept, and a task that completes when no upsert is being delivered if it is paused (to await after the gate).</returns>
    private async Task<(string Type, Task Paused)> ReplaceLockedAsync(EntitySyncConfiguration configuration, EntitySyncOptions options, DateTimeOffset? pausedAt, CancellationToken cancellationToken)
    {
        var existing = _types.GetValueOrDefault(configuration.EntityType);
        var type = existing?.Configuration.EntityType ?? configuration.EntityType;
        var updated = configuration with { EntityType = type, Targets = [.. configuration.Targets] };
        var lanes = new EntitySyncLane[updated.Targets.Count];
        var added = new List<EntitySyncLane>();
        for (var i = 0; i < lanes.Length; i++)
        {
            var kept = existing?.Lanes.FirstOrDefault(l => string.Equals(l.TargetName, updated.Targets[i], StringComparison.OrdinalIgnoreCase));
            if (kept is null)
            {
                kept = CreateLane(updated, updated.Targets[i], options, existing?.Source ?? (_declarations.TryGet(type, out var declaredType) ? declaredType.Source : null));
                kept.SetEnabled(updated.Enabled);
                kept.SetPaused(updated.Paused);
                added.Add(kept);
            }

            lanes[i] = kept;
        }

        var removed = existing?.Lanes.Where(l => !lanes.Contains(l)).ToList() ?? [];

        // Paused since: the earliest known (a restored pause is as old as its stored change, or older if already paused here).
        var pausedSince = !updated.Paused ? (DateTimeOffset?)null
            : existing?.PausedSince is { } since && (pausedAt is null || since < pausedAt) ? since
            : pausedAt ?? _time.GetUtcNow();

        // Lanes removed: publishes under the old configuration are fenced off (and waited for before the store is cleared).
        var publishes = existing is not null && removed.Count == 0 ? existing.Publishes : new EntitySyncPublishFence();
        var state = new TypeState(updated, lanes, existing?.Source ?? (_declarations.TryGet(type, out var declared) ? declared.Source : null), pausedSince, publishes);
        var paused = new List<Task>();
        foreach (var lane in lanes)
        {
            lane.SetEnabled(updated.Enabled);
            if (updated.Paused)
            {
                paused.Add(lane.PauseAsync());
            }
            else
            {
                lane.SetPaused(false);
            }
        }

        // In place, then checked for a stop (which sets stopped, then reads the lanes): either the stop sees the new lanes
        // or they do not start.
        Swap(types => types[type] = state);
        Interlocked.MemoryBarrier();
        if (_started && !_stopped)
        {
            added.ForEach(l => l.Start());
        }

        RetireLocked(removed);
        if (removed.Count > 0)
        {
            await existing!.Publishes.CloseAsync().ConfigureAwait(false);
        }

        foreach (var lane in removed)
        {
            try
            {
                await _store.ClearEntitySyncAsync(type, lane.TargetName, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The configuration is in effect; what stays held for the removed target is merged again if it is added back.
                EntitySyncLog.StoreFailed(_logger, type, lane.TargetName, ex);
            }
        }

        EntitySyncLog.ConfigurationChanged(_logger, type, existing is null ? "added" : "replaced");
        return (type, Task.WhenAll(paused));
    }

    /// <summary>
    /// Keeps the fields of a type's configuration (or its deletion) an operator changed here in the store, each stamped
    /// now, so a restart and the other hosts see them; a failure is logged.
    /// </summary>
    private async Task SaveLockedAsync(string entityType, IReadOnlyList<string> fields)
    {
        if (fields.Count == 0)
        {
            return;
        }

        var configuration = _types.TryGetValue(entityType, out var state) ? state.Configuration : null;
        var type = configuration?.EntityType ?? entityType;
        if (!_changedAt.TryGetValue(type, out var known))
        {
            _changedAt[type] = known = new(StringComparer.Ordinal);
        }

        // After every change of the type in effect here (never back in time).
        var now = OperatorStateValues.Stamp(_time.GetUtcNow(), known.Count == 0 ? null : known.Values.Max());
        var written = new OperatorStateField[fields.Count];
        for (var i = 0; i < written.Length; i++)
        {
            known[fields[i]] = now;
            written[i] = new OperatorStateField(fields[i], EntitySyncFields.Value(configuration, fields[i]), now);
        }

        try
        {
            await _store.SetAsync(OperatorStateKinds.EntitySync, type, written, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            EntitySyncLog.ConfigurationNotSaved(_logger, type, ex);
        }
    }

    /// <summary>Pauses a type at once (called under the gate).</summary>
    /// <param name="state">The type.</param>
    /// <param name="lanesPaused">Completes when no upsert of the type is being delivered (bounded by each lane; to await after the gate).</param>
    /// <returns>Whether the type was running (its configuration changed).</returns>
    private bool PauseLocked(TypeState state, out Task lanesPaused)
    {
        var changed = !state.Configuration.Paused;
        if (changed)
        {
            var paused = state with { Configuration = state.Configuration with { Paused = true }, PausedSince = _time.GetUtcNow() };
            Swap(types => types[paused.Configuration.EntityType] = paused);
        }

        lanesPaused = Task.WhenAll(state.Lanes.Select(l => l.PauseAsync()));
        return changed;
    }

    /// <summary>Stops lanes that were removed (called under the gate), without waiting: they end in the background, bounded, and <see cref="StopAsync"/> waits for them.</summary>
    private void RetireLocked(IEnumerable<EntitySyncLane> lanes)
    {
        _retiring.RemoveAll(static t => t.IsCompleted);
        foreach (var lane in lanes)
        {
            _retiring.Add(RetireAsync(lane));
        }

        static async Task RetireAsync(EntitySyncLane lane)
        {
            await lane.StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
            lane.Dispose();
        }
    }

    /// <returns>Whether the type was paused (its configuration changed).</returns>
    private bool ResumeLocked(TypeState state)
    {
        var changed = state.Configuration.Paused;
        if (changed)
        {
            var resumed = state with { Configuration = state.Configuration with { Paused = false }, PausedSince = null };
            Swap(types => types[resumed.Configuration.EntityType] = resumed);
        }

        foreach (var lane in state.Lanes)
        {
            lane.SetPaused(false);
        }

        return changed;
    }

    private TypeState GetState(string entityType)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        return _types.TryGetValue(entityType, out var state)
            ? state
            : throw new ArgumentException($"No entity sync is configured for '{entityType}'.", nameof(entityType));
    }

    private Func<IServiceProvider, IEntitySource> GetSource(TypeState state)
    {
        var type = state.Configuration.EntityType;
        if (!state.Configuration.Enabled)
        {
            throw new InvalidOperationException($"Entity sync '{type}' is disabled.");
        }

        if (state.Source is { } source)
        {
            return source;
        }

        return RegisteredSource() ?? throw new InvalidOperationException($"Entity sync '{type}': no entity source; call ReadFrom when declaring it, or register an IEntitySource.");
    }

    private EntitySyncLane CreateLane(EntitySyncConfiguration configuration, string targetName, EntitySyncOptions options, Func<IServiceProvider, IEntitySource>? source) =>
        new(configuration.EntityType, targetName, _targets.Get(targetName), options, _store, source ?? RegisteredSource(), _services, _time, _logger);

    /// <summary>The source registered as a service (for a type declared without <c>ReadFrom</c>), if any.</summary>
    private Func<IServiceProvider, IEntitySource>? RegisteredSource() =>
        _services.GetService<IServiceProviderIsService>()?.IsService(typeof(IEntitySource)) == true ? static s => s.GetRequiredService<IEntitySource>() : null;

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
