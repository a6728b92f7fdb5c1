using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.Internal;
using Polly;
using Polly.Retry;

namespace Commerce.Jobs.Records;

/// <summary>
/// One batch's way through the retry pipeline: which records are still failing transiently, the window of their
/// retries, and what each record's outcome is so far. One instance serves a whole run (batches are delivered one at a time).
/// Each attempt is told to <paramref name="observer"/>, when one is registered.
/// </summary>
internal sealed class DeliveryAttempt<T>(string jobName, IDeliveryTarget<T> target, Func<T, string> recordId, RetryWindowOptions retry, TimeProvider time, EngineObserver? observer)
{
    private T[] _retryBuffer = [];
    private int[] _pending = [];
    private ReadOnlyMemory<T> _records;
    private RecordOutcome[] _outcomes = [];
    private int _attempt;
    private TimeSpan? _retryAfter;
    private DateTimeOffset _answeredAt;

    public int PendingCount { get; private set; }

    public DateTimeOffset? FirstFailureAt { get; private set; }

    /// <summary>
    /// Gets why the records still failing were not retried (any more), derived from the attempt's state once the pipeline
    /// has returned: the target asked to wait past the window, the window closed, or the retries were used up.
    /// <see langword="null"/> when nothing is still failing or no retries are configured.
    /// </summary>
    public string? GaveUp
    {
        get
        {
            if (PendingCount == 0 || FirstFailureAt is null || retry.MaxRetries == 0)
            {
                return null;
            }

            return WhyNoRetry() ?? (_attempt > retry.MaxRetries ? $"the {retry.MaxRetries} retries were used up" : null);
        }
    }

    /// <summary>
    /// Builds the Polly pipeline of "up to <see cref="RetryWindowOptions.MaxRetries"/> retries within the window" over delivery
    /// attempts; shared by record jobs and entity synchronization. Each retry is counted on <c>commerce_jobs.delivery.retries</c> with <paramref name="tags"/>.
    /// </summary>
    public static ResiliencePipeline<DeliveryAttempt<T>> CreatePipeline(RetryWindowOptions retry, TimeProvider time, params KeyValuePair<string, object?>[] tags)
    {
        var builder = new ResiliencePipelineBuilder<DeliveryAttempt<T>> { TimeProvider = time };
        if (retry.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions<DeliveryAttempt<T>>
            {
                MaxRetryAttempts = retry.MaxRetries,
                ShouldHandle = static args => ValueTask.FromResult(args.Outcome.Result is { } attempt && attempt.ShouldRetry(args.AttemptNumber)),

                // Called by Polly only after the predicate said yes and a retry is left: one jitter draw per retry.
                DelayGenerator = static args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Result!.ComputeDelay(args.AttemptNumber, Random.Shared.NextDouble())),
                OnRetry = args =>
                {
                    JobsTelemetry.DeliveryRetries.Add(1, tags);
                    return ValueTask.CompletedTask;
                },
            });
        }

        return builder.Build();
    }

    public void Reset(ReadOnlyMemory<T> records, RecordOutcome[] outcomes)
    {
        _records = records;
        _outcomes = outcomes;
        Array.Clear(outcomes, 0, records.Length);
        _attempt = 0;
        _retryAfter = null;
        _answeredAt = default;
        PendingCount = 0;
        FirstFailureAt = null;
    }

    /// <summary>Delivers the records still pending: the whole batch first, then only those that failed transiently.</summary>
    public async ValueTask<DeliveryAttempt<T>> DeliverAsync(CancellationToken cancellationToken)
    {
        observer?.DeliveryAttempted(jobName, _attempt, time.GetUtcNow());
        var retry = _attempt > 0;
        var count = retry ? PendingCount : _records.Length;
        ReadOnlyMemory<T> memory;
        if (retry)
        {
            var source = _records.Span;
            for (var i = 0; i < count; i++)
            {
                _retryBuffer[i] = source[_pending[i]];
            }

            memory = new ReadOnlyMemory<T>(_retryBuffer, 0, count);
        }
        else
        {
            memory = _records;
        }

        DeliveryResult result;
        try
        {
            result = await target.DeliverAsync(new DeliveryBatch<T>(jobName, memory, recordId, _attempt), cancellationToken).ConfigureAwait(false);
            if (result.BatchStatus is null && result.Outcomes.Length != count)
            {
                result = DeliveryResult.TransientFailure($"The target answered {result.Outcomes.Length} outcomes for {count} records.");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            result = DeliveryResult.TransientFailure($"{ex.GetType().Name}: {ex.Message}");
        }
        finally
        {
            if (retry)
            {
                Array.Clear(_retryBuffer, 0, count);
            }
        }

        _attempt++;
        _retryAfter = result.RetryAfter;
        _answeredAt = time.GetUtcNow();
        if (result.BatchStatus == RecordStatus.Delivered)
        {
            for (var j = 0; j < count; j++)
            {
                _outcomes[retry ? _pending[j] : j] = RecordOutcome.Delivered;
            }

            PendingCount = 0;
            return this;
        }

        EnsureCapacity();
        var pending = 0;
        for (var j = 0; j < count; j++)
        {
            // Reads _pending[j] before writing _pending[pending] with pending <= j: compaction in place.
            var index = retry ? _pending[j] : j;
            var outcome = result.GetOutcome(j);
            _outcomes[index] = outcome;
            if (outcome.Status == RecordStatus.TransientFailure)
            {
                _pending[pending++] = index;
            }
        }

        PendingCount = pending;
        if (pending > 0 && FirstFailureAt is null)
        {
            FirstFailureAt = _answeredAt;
        }

        return this;
    }

    /// <summary>
    /// Answers whether the records still failing transiently get another try (the Polly predicate): some are pending, the
    /// window is still open, and the target's Retry-After hint (if any) fits in what is left of it. Changes nothing.
    /// </summary>
    /// <param name="attemptNumber">Polly's number of the attempt that just ended (0 for the first delivery); the retries left are checked by Polly.</param>
    public bool ShouldRetry(int attemptNumber) => PendingCount > 0 && FirstFailureAt is not null && WhyNoRetry() is null;

    /// <summary>
    /// The delay before the retry after attempt <paramref name="attemptNumber"/>: <see cref="RetryWindow.ComputeDelay"/> over what
    /// is left of the window when the target answered, or the target's Retry-After hint when it is longer (the predicate
    /// checked that it fits).
    /// </summary>
    /// <param name="attemptNumber">Polly's number of the attempt that just ended.</param>
    /// <param name="jitter">A draw in [0, 1).</param>
    public TimeSpan ComputeDelay(int attemptNumber, double jitter)
    {
        var delay = RetryWindow.ComputeDelay(Remaining(), retry.MaxRetries - attemptNumber, attemptNumber, retry.BaseDelay, jitter);
        return _retryAfter is { } hint && hint > delay ? hint : delay;
    }

    /// <summary>Why the window allows no further try, or <see langword="null"/> when it allows one.</summary>
    private string? WhyNoRetry()
    {
        var remaining = Remaining();
        if (_retryAfter is { } hint && hint > remaining)
        {
            return $"the target asked to wait {hint}, past the retry window";
        }

        return remaining <= TimeSpan.Zero ? "the retry window closed" : null;
    }

    /// <summary>What was left of the window when the target last answered.</summary>
    private TimeSpan Remaining() => FirstFailureAt is { } firstFailure ? firstFailure + retry.Window - _answeredAt : TimeSpan.Zero;

    /// <summary>Turns what is still failing transiently into skips; returns the final outcomes' counts.</summary>
    public (int Delivered, int Skipped, int Failed) Finish()
    {
        int delivered = 0, skipped = 0, failed = 0;
        for (var i = 0; i < _records.Length; i++)
        {
            switch (_outcomes[i].Status)
            {
                case RecordStatus.Delivered:
                    delivered++;
                    break;
                case RecordStatus.TransientFailure:
                    _outcomes[i] = new RecordOutcome(RecordStatus.Skipped, _outcomes[i].Error);
                    skipped++;
                    break;
                default:
                    failed++;
                    break;
            }
        }

        return (delivered, skipped, failed);
    }

    private void EnsureCapacity()
    {
        if (_pending.Length < _records.Length)
        {
            _pending = new int[_records.Length];
            _retryBuffer = new T[_records.Length];
        }
    }
}
