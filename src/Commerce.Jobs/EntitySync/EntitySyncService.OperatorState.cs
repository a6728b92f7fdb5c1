using Commerce.Jobs.Internal;
using Commerce.Jobs.Storage;

namespace Commerce.Jobs.EntitySync;

// Applying the configurations stored by any host (at start, then by the engine's operator-state refresh).
internal sealed partial class EntitySyncService : IOperatorStateApplier
{
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
                await RemoveLockedAsync(current, "deleted (stored)").ConfigureAwait(false);
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
                if (EntitySyncFields.Settings.Contains(field.Name))
                {
                    // A delivery setting on its own: as declared, the rest applies.
                    IgnoreSetting(ref configuration, field.Name, field.Value, "not a value of the setting");
                    continue;
                }

                EntitySyncLog.ConfigurationNotRestored(_logger, entityType, $"Entity sync '{entityType}': the stored {field.Name} could not be read.");
                return;
            }
        }

        configuration = WithoutInvalidSettings(configuration with { EntityType = entityType });
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
}
