using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.EntitySync;

// Pause and resume (kept in the store), full sync and targeted-id sync.
internal sealed partial class EntitySyncService
{
    /// <inheritdoc />
    public ValueTask PauseAsync(string entityType, CancellationToken cancellationToken) => PauseAsync(entityType, null, cancellationToken);

    /// <inheritdoc />
    public ValueTask ResumeAsync(string entityType, CancellationToken cancellationToken) => ResumeAsync(entityType, null, cancellationToken);

    /// <inheritdoc />
    public ValueTask PauseAllAsync(CancellationToken cancellationToken) => PauseAllAsync(null, cancellationToken);

    /// <inheritdoc />
    public ValueTask ResumeAllAsync(CancellationToken cancellationToken) => ResumeAllAsync(null, cancellationToken);

    /// <inheritdoc />
    public ValueTask PauseAsync(string entityType, string? actor, CancellationToken cancellationToken) => SetPausedAsync(() => [GetState(entityType)], true, actor, cancellationToken);

    /// <inheritdoc />
    public ValueTask ResumeAsync(string entityType, string? actor, CancellationToken cancellationToken) => SetPausedAsync(() => [GetState(entityType)], false, actor, cancellationToken);

    /// <inheritdoc />
    public ValueTask PauseAllAsync(string? actor, CancellationToken cancellationToken) => SetPausedAsync(() => _types.Values, true, actor, cancellationToken);

    /// <inheritdoc />
    public ValueTask ResumeAllAsync(string? actor, CancellationToken cancellationToken) => SetPausedAsync(() => _types.Values, false, actor, cancellationToken);

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

    /// <summary>
    /// Pauses or resumes the types <paramref name="select"/> gives (read under the gate) and keeps the change, recorded as
    /// made by <paramref name="actor"/>; a pause then waits (bounded by each lane) until none of their upserts is being delivered.
    /// </summary>
    private async ValueTask SetPausedAsync(Func<IEnumerable<TypeState>> select, bool paused, string? actor, CancellationToken cancellationToken)
    {
        var pausing = new List<Task>();
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var state in select())
            {
                var changed = state.Configuration.Paused != paused;
                if (changed)
                {
                    var since = paused ? _time.GetUtcNow() : (DateTimeOffset?)null;
                    Swap(types => types[state.Configuration.EntityType] = state with { Configuration = state.Configuration with { Paused = paused }, PausedSince = since });
                }

                foreach (var lane in state.Lanes)
                {
                    if (paused)
                    {
                        pausing.Add(lane.PauseAsync());
                    }
                    else
                    {
                        lane.SetPaused(false);
                    }
                }

                if (changed)
                {
                    await SaveLockedAsync(state.Configuration.EntityType, [EntitySyncFields.Paused], paused ? "pause" : "resume", state.Configuration, actor).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            _gate.Release();
        }

        await Task.WhenAll(pausing).WaitAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>The source registered as a service (for a type declared without <c>ReadFrom</c>), if any.</summary>
    private Func<IServiceProvider, IEntitySource>? RegisteredSource() =>
        _services.GetService<IServiceProviderIsService>()?.IsService(typeof(IEntitySource)) == true ? static s => s.GetRequiredService<IEntitySource>() : null;
}
