using Commerce.Jobs.Diagnostics;

namespace Commerce.Jobs.EntitySync;

// Lane lifecycle: start, bounded stop, retirement of removed lanes, disposal.
internal sealed partial class EntitySyncService
{
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

        // The status shows what the store holds from the start, not from each lane's first pass (a failure is logged and
        // shown; bounded by the start's token, as reading the stored configurations above is).
        await RefreshStatusAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
    }

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

    /// <summary>
    /// Stops lanes that were removed (called under the gate): they end in the background, bounded, and <see cref="StopAsync"/>
    /// waits for them. Closes their write fences and the publishes' fence of the configuration they ran under, and returns
    /// once the writes in flight are done: none reaches the store after it (a delivery that ends later is not completed),
    /// so the store can be cleared.
    /// </summary>
    private async Task RetireLockedAsync(IReadOnlyCollection<EntitySyncLane> lanes, EntitySyncPublishFence publishes)
    {
        _retiring.RemoveAll(static t => t.IsCompleted);
        foreach (var lane in lanes)
        {
            _retiring.Add(RetireAsync(lane));
        }

        await Task.WhenAll([publishes.CloseAsync(), .. lanes.Select(static l => l.Writes.CloseAsync())]).ConfigureAwait(false);

        static async Task RetireAsync(EntitySyncLane lane)
        {
            await lane.StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
            lane.Dispose();
        }
    }

    private EntitySyncLane CreateLane(EntitySyncConfiguration configuration, string targetName, EntitySyncOptions options, Func<IServiceProvider, IEntitySource>? source) =>
        new(configuration.EntityType, targetName, _targets.Get(targetName), options, _store, source ?? RegisteredSource(), _services, _time, _logger);
}
