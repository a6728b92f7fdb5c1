using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.Internal;
using Polly;
using Polly.CircuitBreaker;

namespace Commerce.Jobs.Targets;

/// <summary>
/// One delivery target's concurrency limit and health, shared by every job that delivers to it: a Polly.Core circuit
/// breaker over the first attempts of its batches, where only a call that itself failed (the target threw, or answered
/// a transient failure for the whole batch) counts as a failure. Per-record outcomes never count, and retries
/// (<see cref="DeliveryBatch{T}.Attempt"/> above 0) bypass the breaker: they carry only records that already failed,
/// so one poison record retried never reads as an outage. A retry is still held back while the target is unhealthy.
/// </summary>
internal sealed class TargetHealthMonitor : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly ResiliencePipeline<DeliveryResult> _breaker;
    private readonly CircuitBreakerStateProvider _state = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _breakDuration;
    private readonly Func<TargetHealth, ValueTask> _onUnhealthy;
    private readonly KeyValuePair<string, object?> _targetTag;
    private readonly AtomicTimestamp _unhealthySince = new();   // written when the circuit opens, read by deliveries and the monitor
    private string? _lastError;
    private int _inProgress;

    public TargetHealthMonitor(string name, TargetOptions options, TimeProvider time, Func<TargetHealth, ValueTask> onUnhealthy)
    {
        Name = name;
        _targetTag = new("target", name);
        _time = time;
        _breakDuration = options.BreakDuration;
        _onUnhealthy = onUnhealthy;
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _breaker = new ResiliencePipelineBuilder<DeliveryResult> { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<DeliveryResult>
            {
                FailureRatio = options.FailureRatio,
                SamplingDuration = options.SamplingDuration,
                MinimumThroughput = options.MinimumThroughput,
                BreakDuration = options.BreakDuration,
                StateProvider = _state,
                ShouldHandle = static args => ValueTask.FromResult(
                    args.Outcome.Exception is not null and not OperationCanceledException
                    || args.Outcome.Result is { BatchStatus: RecordStatus.TransientFailure }),
                OnOpened = args =>
                {
                    _unhealthySince.Write(_time.GetUtcNow());
                    return _onUnhealthy(Snapshot());
                },
            })
            .Build();
    }

    public string Name { get; }

    /// <summary>Gets a value indicating whether deliveries are paused now (the circuit is open and its break has not ended).</summary>
    public bool IsUnhealthy => _state.CircuitState switch
    {
        CircuitState.Isolated => true,
        CircuitState.Open => _unhealthySince.Read() is not { } since || _time.GetUtcNow() < since + _breakDuration,
        _ => false,
    };

    /// <summary>Delivers through the concurrency limit and the circuit breaker; an open circuit answers a transient failure with the time left.</summary>
    public async ValueTask<DeliveryResult> DeliverAsync<T>(IDeliveryTarget<T> target, DeliveryBatch<T> batch, CancellationToken cancellationToken)
    {
        var measured = JobsTelemetry.DeliveryDuration.Enabled;
        var started = measured ? _time.GetTimestamp() : 0;
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _inProgress);
        try
        {
            if (batch.Attempt > 0)
            {
                // A retry never counts for health, but waits out a break like any delivery.
                if (IsUnhealthy)
                {
                    measured = false;
                    var left = _unhealthySince.Read() is { } since ? since + _breakDuration - _time.GetUtcNow() : _breakDuration;
                    return Paused(left > TimeSpan.Zero ? left : _breakDuration);
                }

                return await target.DeliverAsync(batch, cancellationToken).ConfigureAwait(false);
            }

            return await _breaker.ExecuteAsync(
                static async (state, ct) =>
                {
                    var result = await state.target.DeliverAsync(state.batch, ct).ConfigureAwait(false);
                    if (result.BatchStatus != RecordStatus.Delivered)
                    {
                        // Kept before the breaker decides, so a notification on opening carries the error that opened it.
                        state.self._lastError = result.Error ?? FirstError(result) ?? state.self._lastError;
                    }

                    return result;
                },
                (target, batch, self: this),
                cancellationToken).ConfigureAwait(false);
        }
        catch (BrokenCircuitException ex)
        {
            measured = false;                       // no call was made: nothing to time
            return Paused(ex.RetryAfter ?? _breakDuration);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _lastError = $"{ex.GetType().Name}: {ex.Message}";
            throw;
        }
        finally
        {
            Interlocked.Decrement(ref _inProgress);
            _slots.Release();
            if (measured)
            {
                JobsTelemetry.DeliveryDuration.Record(_time.GetElapsedTime(started).TotalSeconds, _targetTag);
            }
        }
    }

    public TargetHealth Snapshot()
    {
        var state = _state.CircuitState switch
        {
            CircuitState.Open or CircuitState.Isolated => TargetHealthState.Unhealthy,
            CircuitState.HalfOpen => TargetHealthState.Probing,
            _ => TargetHealthState.Healthy,
        };
        var unhealthySince = _unhealthySince.Read();
        return new TargetHealth
        {
            TargetName = Name,
            State = state,
            UnhealthySince = unhealthySince,
            PausedUntil = state == TargetHealthState.Unhealthy ? unhealthySince + _breakDuration : null,
            LastError = _lastError,
            DeliveriesInProgress = Volatile.Read(ref _inProgress),
        };
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>The answer to a delivery held back while the target is unhealthy: a transient failure with the time left.</summary>
    private DeliveryResult Paused(TimeSpan pause)
        => DeliveryResult.TransientFailure($"Target '{Name}' is unhealthy; deliveries are paused until {_time.GetUtcNow() + pause:u}. Last error: {_lastError}", pause);

    private static string? FirstError(DeliveryResult result)
    {
        foreach (var outcome in result.Outcomes.Span)
        {
            if (outcome.Error is not null)
            {
                return outcome.Error;
            }
        }

        return null;
    }
}
