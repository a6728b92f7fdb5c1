using Commerce.Jobs.Internal;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.EntitySync;

// Configuration changes: put and delete, putting a configuration in place, and keeping what an operator changed in the store.
internal sealed partial class EntitySyncService
{
    /// <inheritdoc />
    public ValueTask PutConfigurationAsync(EntitySyncConfiguration configuration, CancellationToken cancellationToken) => PutConfigurationAsync(configuration, null, cancellationToken);

    /// <inheritdoc />
    public ValueTask<bool> DeleteConfigurationAsync(string entityType, CancellationToken cancellationToken) => DeleteConfigurationAsync(entityType, null, cancellationToken);

    /// <inheritdoc />
    public async ValueTask PutConfigurationAsync(EntitySyncConfiguration configuration, string? actor, CancellationToken cancellationToken)
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
            await SaveLockedAsync(type, fields.Contains(EntitySyncFields.Deleted) ? fields : [EntitySyncFields.Deleted, .. fields], "update", before, actor).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }

        await paused.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<bool> DeleteConfigurationAsync(string entityType, string? actor, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entityType);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_types.TryGetValue(entityType, out var state))
            {
                return false;
            }

            await RemoveLockedAsync(state, "deleted").ConfigureAwait(false);
            await _store.ClearEntitySyncAsync(state.Configuration.EntityType, null, CancellationToken.None).ConfigureAwait(false);
            await ClearFullSyncProgressAsync(state.Configuration).ConfigureAwait(false);
            await SaveLockedAsync(state.Configuration.EntityType, [EntitySyncFields.Deleted], "delete", state.Configuration, actor).ConfigureAwait(false);
            return true;
        }
        finally
        {
            _gate.Release();
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
        var source = existing?.Source ?? (_declarations.TryGet(type, out var declared) ? declared.Source : null);
        var lanes = new EntitySyncLane[updated.Targets.Count];
        var added = new List<EntitySyncLane>();
        for (var i = 0; i < lanes.Length; i++)
        {
            var kept = existing?.Lanes.FirstOrDefault(l => string.Equals(l.TargetName, updated.Targets[i], StringComparison.OrdinalIgnoreCase));
            if (kept is null)
            {
                kept = CreateLane(updated, updated.Targets[i], options, source);
                added.Add(kept);
            }
            else
            {
                kept.SetOptions(options);  // from its next page on
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
        var state = new TypeState(updated, lanes, source, pausedSince, publishes);
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

        if (removed.Count > 0)
        {
            await RetireLockedAsync(removed, existing!.Publishes).ConfigureAwait(false);
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

    /// <summary>Removes a type (called under the gate): once it returns, nothing written under its configuration reaches the store.</summary>
    private async Task RemoveLockedAsync(TypeState state, string action)
    {
        Swap(types => types.Remove(state.Configuration.EntityType));
        await RetireLockedAsync(state.Lanes, state.Publishes).ConfigureAwait(false);
        _deleted.Add(state.Configuration.EntityType);
        EntitySyncLog.ConfigurationChanged(_logger, state.Configuration.EntityType, action);
    }

    /// <summary>Clears the full-sync progress of each of a deleted type's targets (a type put again starts with none under way); a failure is logged.</summary>
    private async Task ClearFullSyncProgressAsync(EntitySyncConfiguration configuration)
    {
        foreach (var target in configuration.Targets)
        {
            try
            {
                await _store.SetCheckpointAsync(EntityFullSync.CheckpointKey(configuration.EntityType, target), null, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                EntitySyncLog.StoreFailed(_logger, configuration.EntityType, target, ex);
            }
        }
    }

    /// <summary>
    /// Keeps the fields of a type's configuration (or its deletion) an operator changed here in the store, each stamped
    /// now, so a restart and the other hosts see them, and records the change in the audit trail (<paramref name="action"/>
    /// by <paramref name="actor"/>, each field from its value in <paramref name="before"/>, <see langword="null"/> for a
    /// type that was not configured); a failure is logged.
    /// </summary>
    private async Task SaveLockedAsync(string entityType, IReadOnlyList<string> fields, string action, EntitySyncConfiguration? before, string? actor)
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

        OperatorChangeValue[] values =
        [
            .. written.Select(f => new OperatorChangeValue(
                f.Name,
                before is null ? (f.Name == EntitySyncFields.Deleted ? OperatorStateValues.Format(true) : null) : EntitySyncFields.Value(before, f.Name),
                f.Value)),
        ];
        await OperatorChanges.AppendAsync(_store, new OperatorChange(OperatorStateKinds.EntitySync, type, action, now, actor, values), _logger).ConfigureAwait(false);
    }
}
