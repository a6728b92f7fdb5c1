using Commerce.Jobs.Diagnostics;

namespace Commerce.Jobs.Runners;

/// <summary>Graceful shutdown: no new runs, running ones finish within the grace period, then are cancelled and recorded as such.</summary>
internal sealed partial class JobEngine
{
    /// <summary>Stops the engine.</summary>
    /// <param name="cancellationToken">The host's stop token: when it fires, running jobs are cancelled at once.</param>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.CompareExchange(ref _state, Stopping, Running) != Running)
        {
            if (Interlocked.CompareExchange(ref _state, Stopped, Created) == Created)
            {
                // Never started: runs asked for before start will never run; their callers are told.
                foreach (var entry in _entriesByName)
                {
                    entry.CancelWaiting();
                }
            }

            return;
        }

        await _stopScheduler.CancelAsync().ConfigureAwait(false);
        await _scheduler.ConfigureAwait(false);
        await _controlReader.ConfigureAwait(false);

        // No new runs: queued ones are dropped by the workers, held ones here.
        _runs.Writer.TryComplete();
        foreach (var entry in _entriesByName)
        {
            entry.CancelWaiting();
        }

        var workers = Task.WhenAll(_workers);
        try
        {
            await workers.WaitAsync(_options.ShutdownTimeout, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            Log.ShutdownTimedOut(_logger, _options.ShutdownTimeout);
            await _cancelRuns.CancelAsync().ConfigureAwait(false);
            await workers.ConfigureAwait(false);
        }
        finally
        {
            JobsTelemetry.RemoveEngine(this);
        }

        // Operator changes made up to now reach the store: a few quick writes, so the host's stop token (fired when the
        // runs took the whole grace period) does not cut them short; a store that hangs is given the grace period.
        _controlChanges.Writer.TryComplete();
        try
        {
            await _controlWriter.WaitAsync(_options.ShutdownTimeout, _time, CancellationToken.None).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.ShutdownTimedOut(_logger, _options.ShutdownTimeout);
        }

        Volatile.Write(ref _state, Stopped);
        Log.EngineStopped(_logger);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            JobsTelemetry.RemoveEngine(this);
        }

        _stopScheduler.Dispose();
        _cancelRuns.Dispose();
    }

    /// <summary>Writes operator changes to the store, one at a time and in order; a failed write is logged, never thrown.</summary>
    private async Task WriteControlsAsync()
    {
        await foreach (var control in _controlChanges.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await _store.SetJobControlAsync(control, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Log.ControlNotSaved(_logger, control.JobName, ex);
            }
        }
    }
}
