using Commerce.Jobs.Diagnostics;
using Polly;
using Polly.Retry;

namespace Commerce.Jobs.Records;

/// <summary>
/// One batch's way through the retry pipeline: which records are still failing transiently, the window of their
/// retries, and what each record's outcome is so far. One instance serves a whole run (batches are delivered one at a time).
/// </summary>
internal sealed class DeliveryAttempt<T>(string jobName, IDeliveryTarget<T> target, Func<T, string> recordId, RetryWindowOptions retry, TimeProvider time)
{
    private T[] _retryBuffer = [];
    private int[] _pending = [];
    private ReadOnlyMemory<T> _records;
    private RecordOutcome[] _outcomes = [];
    private int _attempt;
    private TimeSpan? _retryAfter;

    public int PendingCount { get; private set; }

    public DateTimeOffset? FirstFailureAt { get; private set; }

    public TimeSpan NextDelay { get; private set; }

    /// <summary>Gets why retries stopped early, if they did.</summary>
    public string? GaveUp { get; private set; }

    /// <summary>Gets the start time of every delivery attempt of the current batch (for tests of the window).</summary>
    public List<DateTimeOffset>? AttemptLog { get; set; }

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
                DelayGenerator = static args => ValueTask.FromResult<TimeSpan?>(args.Outcome.Result!.NextDelay),
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
        PendingCount = 0;
        FirstFailureAt = null;
        GaveUp = null;
        AttemptLog?.Clear();
    }

    /// <summary>Delivers the records still pending: the whole batch first, then only those that failed transiently.</summary>
    public async ValueTask<DeliveryAttempt<T>> DeliverAsync(CancellationToken cancellationToken)
    {
        AttemptLog?.Add(time.GetUtcNow());
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
            FirstFailureAt = time.GetUtcNow();
        }

        return this;
    }

    /// <summary>Decides whether the records still failing get another try, and after what delay (the Polly predicate).</summary>
    public bool ShouldRetry(int attemptNumber)
    {
        if (PendingCount == 0 || FirstFailureAt is not { } firstFailure)
        {
            return false;
        }

        var remaining = firstFailure + retry.Window - time.GetUtcNow();
        var delay = RetryWindow.ComputeDelay(remaining, retry.MaxRetries - attemptNumber, attemptNumber, retry.BaseDelay, Random.Shared.NextDouble());
        if (_retryAfter is { } hint)
        {
            if (hint > remaining)
            {
                GaveUp = $"the target asked to wait {hint}, past the retry window";
                return false;
            }

            delay = hint > delay ? hint : delay;
        }

        if (remaining <= TimeSpan.Zero || delay > remaining)
        {
            GaveUp = "the retry window closed";
            return false;
        }

        NextDelay = delay;
        return true;
    }

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
