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
/// <remarks>
/// The health settings change at run time (<see cref="Reconfigure"/>, from <see cref="IJobDefinitions.UpdateTargetAsync"/>):
/// a new <see cref="TargetOptions.BreakDuration"/> is the length of the next break; a new failure ratio, sampling
/// duration or minimum throughput starts a new sampling window under the new rules (what was counted under the old ones
/// is dropped) as soon as the target is healthy — a target that is unhealthy or probing now keeps its break until it
/// ends, and the probe decides under the rules it broke with. <see cref="TargetOptions.MaxConcurrency"/> is read once.
/// </remarks>
internal sealed class TargetHealthMonitor : IDisposable
{
    private readonly SemaphoreSlim _slots;
    private readonly TimeProvider _time;
    private readonly Lock _swap = new();
    private readonly Func<TargetHealth, ValueTask> _onUnhealthy;
    private readonly KeyValuePair<string, object?> _targetTag;
    private readonly AtomicTimestamp _unhealthySince = new();   // written when the circuit opens, read by deliveries and the monitor
    private readonly AtomicTimestamp _pausedUntil = new();      // the end of the break in progress, written with _unhealthySince
    private Breaker _breaker;                                   // replaced whole (Volatile) when the sampling rules change
    private TargetOptions _rules;                               // the settings in force; BreakDuration read at each opening
    private TargetOptions? _pending;                            // sampling rules waiting for the target to be healthy
    private string? _lastError;
    private int _inProgress;

    public TargetHealthMonitor(string name, TargetOptions options, TimeProvider time, Func<TargetHealth, ValueTask> onUnhealthy)
    {
        Name = name;
        _targetTag = new("target", name);
        _time = time;
        _onUnhealthy = onUnhealthy;
        _slots = new SemaphoreSlim(options.MaxConcurrency, options.MaxConcurrency);
        _rules = Copy(options);
        _breaker = Build(_rules);
    }

    public string Name { get; }

    /// <summary>Gets a value indicating whether deliveries are paused now (the circuit is open and its break has not ended).</summary>
    public bool IsUnhealthy => Volatile.Read(ref _breaker).State.CircuitState switch
    {
        CircuitState.Isolated => true,
        CircuitState.Open => _pausedUntil.Read() is not { } until || _time.GetUtcNow() < until,
        _ => false,
    };

    /// <summary>Gets the health settings in force.</summary>
    public TargetOptions Rules => Volatile.Read(ref _rules);

    /// <summary>
    /// Puts new health settings in force: the break duration from the next break; the sampling rules (failure ratio,
    /// sampling duration, minimum throughput) now if the target is healthy, else once it is healthy again.
    /// </summary>
    public void Reconfigure(TargetOptions options)
    {
        lock (_swap)
        {
            if (SameSampling(options, _rules) && options.BreakDuration == _rules.BreakDuration)
            {
                return;
            }

            var rules = Copy(options);
            Volatile.Write(ref _rules, rules);
            Volatile.Write(ref _pending, SameSampling(rules, _breaker.Rules) ? null : rules);
        }

        TakePending();
    }

    /// <summary>Delivers through the concurrency limit and the circuit breaker; an open circuit answers a transient failure with the time left.</summary>
    public async ValueTask<DeliveryResult> DeliverAsync<T>(IDeliveryTarget<T> target, DeliveryBatch<T> batch, CancellationToken cancellationToken)
    {
        var measured = JobsTelemetry.DeliveryDuration.Enabled;
        var started = measured ? _time.GetTimestamp() : 0;
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _inProgress);
        try
        {
            if (Volatile.Read(ref _pending) is not null)
            {
                TakePending();
            }

            if (batch.Attempt > 0)
            {
                // A retry never counts for health, but waits out a break like any delivery.
                if (IsUnhealthy)
                {
                    measured = false;
                    var left = _pausedUntil.Read() is { } until ? until - _time.GetUtcNow() : Rules.BreakDuration;
                    return Paused(left > TimeSpan.Zero ? left : Rules.BreakDuration);
                }

                return await target.DeliverAsync(batch, cancellationToken).ConfigureAwait(false);
            }

            return await Volatile.Read(ref _breaker).Pipeline.ExecuteAsync(
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
            return Paused(ex.RetryAfter ?? Rules.BreakDuration);
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
        var state = Volatile.Read(ref _breaker).State.CircuitState switch
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
            PausedUntil = state == TargetHealthState.Unhealthy ? _pausedUntil.Read() : null,
            LastError = _lastError,
            DeliveriesInProgress = Volatile.Read(ref _inProgress),
        };
    }

    public void Dispose() => _slots.Dispose();

    private static TargetOptions Copy(TargetOptions options) => Definitions.TargetDefinitionField.Clone(options);

    private static bool SameSampling(TargetOptions a, TargetOptions b)
        => a.FailureRatio.Equals(b.FailureRatio) && a.SamplingDuration == b.SamplingDuration && a.MinimumThroughput == b.MinimumThroughput;

    /// <summary>A circuit breaker under <paramref name="rules"/>' sampling; the length of each break is the one in force when it opens.</summary>
    private Breaker Build(TargetOptions rules)
    {
        var state = new CircuitBreakerStateProvider();
        var pipeline = new ResiliencePipelineBuilder<DeliveryResult> { TimeProvider = _time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<DeliveryResult>
            {
                FailureRatio = rules.FailureRatio,
                SamplingDuration = rules.SamplingDuration,
                MinimumThroughput = rules.MinimumThroughput,
                BreakDuration = rules.BreakDuration,
                BreakDurationGenerator = _ => ValueTask.FromResult(Rules.BreakDuration),
                StateProvider = state,
                ShouldHandle = static args => ValueTask.FromResult(
                    args.Outcome.Exception is not null and not OperationCanceledException
                    || args.Outcome.Result is { BatchStatus: RecordStatus.TransientFailure }),
                OnOpened = args =>
                {
                    var now = _time.GetUtcNow();
                    _pausedUntil.Write(now + args.BreakDuration);
                    _unhealthySince.Write(now);
                    return _onUnhealthy(Snapshot());
                },
            })
            .Build();
        return new Breaker(pipeline, state, rules);
    }

    /// <summary>Puts waiting sampling rules in force with a new breaker, once the one in force is closed (healthy).</summary>
    private void TakePending()
    {
        lock (_swap)
        {
            if (_pending is { } pending && _breaker.State.CircuitState == CircuitState.Closed)
            {
                Volatile.Write(ref _breaker, Build(pending));
                Volatile.Write(ref _pending, null);
            }
        }
    }

    /// <summary>The answer to a delivery held back while the target is unhealthy: a transient failure with the time left.</summary>
    private DeliveryResult Paused(TimeSpan pause)
        => DeliveryResult.TransientFailure($"Target '{Name}' is unhealthy; deliveries are paused until {_time.GetUtcNow() + pause:u}. Last error: {_lastError}", pause);

    /// <summary>A circuit breaker, its state and the sampling rules it was built with.</summary>
    private sealed record Breaker(ResiliencePipeline<DeliveryResult> Pipeline, CircuitBreakerStateProvider State, TargetOptions Rules);

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
