using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Targets;
using Polly;

namespace Commerce.Jobs.Records;

/// <summary>
/// Runs a record job: a reader streams records from the source into pooled batches of <c>BatchSize</c> through a
/// channel of two, so reading and delivering overlap and memory stays bounded; delivery retries each batch within its
/// retry window (a Polly pipeline), then tells the status sink and the store each record's final outcome, and stops
/// the run when it has skipped more than <c>MaxItemsToSkip</c> records.
/// </summary>
internal sealed class RecordJobExecutor<T> : IJobExecutor
{
    private const string StoppedError = "Not attempted: the run stopped after skipping too many records.";

    private readonly string _jobName;
    private readonly JobOptions _options;
    private readonly RecordJobDefinition<T> _definition;
    private readonly Func<T, string> _recordId;
    private readonly IJobStore _store;
    private readonly TimeProvider _time;
    private readonly IDeliveryTarget<T>? _namedTarget;
    private readonly TargetHealthMonitor? _health;
    private readonly ResiliencePipeline<DeliveryAttempt<T>> _pipeline;
    private readonly KeyValuePair<string, object?> _jobTag;

    public RecordJobExecutor(RecordJobDefinition<T> definition, JobOptions options, Func<T, string> recordId, IDeliveryTarget<T>? namedTarget, TargetHealthMonitor? health, IJobStore store, TimeProvider time)
    {
        _health = health;
        _jobName = definition.Name;
        _definition = definition;
        _options = options;
        _recordId = recordId;
        _namedTarget = namedTarget;
        _store = store;
        _time = time;
        _jobTag = new("job", definition.Name);

        _pipeline = DeliveryAttempt<T>.CreatePipeline(options.RetryWindow, time, _jobTag);
    }

    /// <summary>Gets or sets a list that records every delivery attempt's start time (tests of the retry window).</summary>
    internal List<DateTimeOffset>? AttemptLog { get; set; }

    public async ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        if (_health is { IsUnhealthy: true } paused)
        {
            // Deliveries to the target are paused: read nothing, so nothing is claimed, released or counted as an attempt.
            var health = paused.Snapshot();
            return JobResult.Create(JobOutcome.PartiallySucceeded, $"Target '{paused.Name}' is unhealthy until {health.PausedUntil:u}; the run read nothing and every record stays pending.", null, default);
        }

        var services = context.Services;
        var source = _definition.Source!(services);
        var target = _namedTarget ?? _definition.Target!(services);
        if (_health is not null)
        {
            target = new HealthCheckedTarget<T>(target, _health);
        }

        var userSink = _options.UpdateStatus ? _definition.Sink?.Invoke(services) : null;

        // An inbox is settled whatever the status settings: its records leave the store only once delivered.
        var sink = _definition.Inbox ? new CombinedSink((IRecordStatusSink<T>)source, userSink) : userSink;
        var known = await LoadKnownFailuresAsync(cancellationToken).ConfigureAwait(false);

        var query = new RecordQuery
        {
            JobName = _jobName,
            Trigger = context.Trigger,
            NotBefore = _options.MaxAge is { } maxAge ? _time.GetUtcNow() - maxAge : null,
            IncludeFailed = context.Trigger == TriggerKind.Resubmit,
        };

        var batches = Channel.CreateBounded<RecordBatch<T>>(new BoundedChannelOptions(2)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });

        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reader = ReadAsync(source, query, batches.Writer, stopReading.Token);
        var attempt = new DeliveryAttempt<T>(_jobName, target, _recordId, _options.RetryWindow, _time) { AttemptLog = AttemptLog };
        var outcomes = ArrayPool<RecordOutcome>.Shared.Rent(_options.BatchSize);
        long read = 0, delivered = 0, skipped = 0, failed = 0;
        string? stopError = null;
        string? pausedError = null;
        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    read += batch.Count;
                    if (stopError is not null || pausedError is not null)
                    {
                        await AbandonAsync(context, sink, batch, outcomes, cancellationToken).ConfigureAwait(false);
                        skipped += batch.Count;
                        continue;
                    }

                    var (d, s, f) = await DeliverAsync(context, attempt, sink, known, batch, outcomes, cancellationToken).ConfigureAwait(false);
                    delivered += d;
                    skipped += s;
                    failed += f;
                    if (skipped > _options.MaxItemsToSkip)
                    {
                        stopError = $"Skipped {skipped} records, more than MaxItemsToSkip ({_options.MaxItemsToSkip}); the run stopped.";
                        context.Log(JobLogLevel.Error, stopError);
                        await stopReading.CancelAsync().ConfigureAwait(false);
                    }
                    else if (_health is { IsUnhealthy: true })
                    {
                        // The target is paused: stop instead of burning retries; what was not attempted stays pending.
                        pausedError = $"Target '{_health.Name}' is unhealthy; the run stopped and the rest of its records stay pending.";
                        context.Log(JobLogLevel.Warning, pausedError);
                        await stopReading.CancelAsync().ConfigureAwait(false);
                    }
                }
                finally
                {
                    Return(batch);
                }
            }

            var (readerError, leftover) = await reader.ConfigureAwait(false);
            if (leftover.Count > 0)
            {
                // Read before the run stopped, never attempted: skipped for this run, offered again on the next.
                try
                {
                    read += leftover.Count;
                    skipped += leftover.Count;
                    await AbandonAsync(context, sink, leftover, outcomes, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    Return(leftover);
                }
            }

            if (readerError is not null)
            {
                stopError ??= $"Reading from the source failed: {readerError.GetType().Name}: {readerError.Message}";
                context.Log(JobLogLevel.Error, readerError.ToString());
            }
        }
        finally
        {
            ArrayPool<RecordOutcome>.Shared.Return(outcomes);
            if (!reader.IsCompleted)
            {
                await stopReading.CancelAsync().ConfigureAwait(false);
                var (_, leftover) = await reader.ConfigureAwait(false);
                Return(leftover);
            }

            while (batches.Reader.TryRead(out var unread))
            {
                Return(unread);
            }
        }

        var counts = new RecordCounts(read, delivered, skipped, failed);
        if (stopError is not null)
        {
            return JobResult.Create(JobOutcome.Failed, stopError, null, counts);
        }

        return skipped + failed == 0 && pausedError is null
            ? JobResult.Create(JobOutcome.Succeeded, null, null, counts)
            : JobResult.Create(JobOutcome.PartiallySucceeded, pausedError ?? $"{skipped} records skipped, {failed} failed permanently.", null, counts);
    }

    private async ValueTask<HashSet<string>?> LoadKnownFailuresAsync(CancellationToken cancellationToken)
    {
        var failures = await _store.GetRecordFailuresAsync(_jobName, cancellationToken).ConfigureAwait(false);
        return failures.Count == 0 ? null : failures.Select(f => f.RecordId).ToHashSet(StringComparer.Ordinal);
    }

    private async ValueTask<(int Delivered, int Skipped, int Failed)> DeliverAsync(
        JobContext context,
        DeliveryAttempt<T> attempt,
        IRecordStatusSink<T>? sink,
        HashSet<string>? known,
        RecordBatch<T> batch,
        RecordOutcome[] outcomes,
        CancellationToken cancellationToken)
    {
        attempt.Reset(batch.Memory, outcomes);
        var resilience = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            await _pipeline.ExecuteAsync(static (ctx, state) => state.DeliverAsync(ctx.CancellationToken), resilience, attempt).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(resilience);
        }

        var (delivered, skipped, failed) = attempt.Finish();
        var finalOutcomes = new ReadOnlyMemory<RecordOutcome>(outcomes, 0, batch.Count);
        if (sink is not null)
        {
            await sink.ReportAsync(_jobName, batch.Memory, finalOutcomes, cancellationToken).ConfigureAwait(false);
        }

        if (skipped + failed > 0)
        {
            var now = _time.GetUtcNow();
            var failures = new List<RecordFailure>(skipped + failed);
            var records = batch.Memory.Span;
            for (var i = 0; i < batch.Count; i++)
            {
                if (outcomes[i].Status != RecordStatus.Delivered)
                {
                    var id = _recordId(records[i]);
                    failures.Add(new RecordFailure(id, outcomes[i].Status, outcomes[i].Error, 0, now));
                    context.Log(JobLogLevel.Warning, $"Record {id} {(outcomes[i].Status == RecordStatus.Skipped ? "skipped" : "failed permanently")}: {outcomes[i].Error}");
                }
            }

            if (attempt.GaveUp is { } reason)
            {
                context.Log(JobLogLevel.Warning, $"Retries given up: {reason}.");
            }

            await _store.AddRecordFailuresAsync(_jobName, failures, cancellationToken).ConfigureAwait(false);
            JobsTelemetry.RecordsSkipped.Add(skipped, _jobTag);
            JobsTelemetry.RecordsFailed.Add(failed, _jobTag);
        }

        if (known is not null && delivered > 0)
        {
            await ForgetDeliveredAsync(known, batch, outcomes, cancellationToken).ConfigureAwait(false);
        }

        JobsTelemetry.RecordsDelivered.Add(delivered, _jobTag);
        return (delivered, skipped, failed);
    }

    private async ValueTask ForgetDeliveredAsync(HashSet<string> known, RecordBatch<T> batch, RecordOutcome[] outcomes, CancellationToken cancellationToken)
    {
        List<string>? forget = null;
        var records = batch.Memory.Span;
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i].Status == RecordStatus.Delivered)
            {
                var id = _recordId(records[i]);
                if (known.Remove(id))
                {
                    (forget ??= []).Add(id);
                }
            }
        }

        if (forget is not null)
        {
            await _store.RemoveRecordFailuresAsync(_jobName, forget, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask AbandonAsync(JobContext context, IRecordStatusSink<T>? sink, RecordBatch<T> batch, RecordOutcome[] outcomes, CancellationToken cancellationToken)
    {
        if (sink is null)
        {
            return;
        }

        Array.Fill(outcomes, new RecordOutcome(RecordStatus.Skipped, StoppedError), 0, batch.Count);
        await sink.ReportAsync(_jobName, batch.Memory, new ReadOnlyMemory<RecordOutcome>(outcomes, 0, batch.Count), cancellationToken).ConfigureAwait(false);
        _ = context;
    }

    /// <summary>Streams the source into pooled batches; returns its error (if the source failed) and a part-filled batch left when the run stopped.</summary>
    private async Task<(Exception? Error, RecordBatch<T> Leftover)> ReadAsync(IRecordSource<T> source, RecordQuery query, ChannelWriter<RecordBatch<T>> writer, CancellationToken cancellationToken)
    {
        await Task.Yield();
        var size = _options.BatchSize;
        T[]? buffer = null;
        var count = 0;
        try
        {
            await foreach (var record in source.ReadAsync(query, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                buffer ??= ArrayPool<T>.Shared.Rent(size);
                buffer[count++] = record;
                if (count == size)
                {
                    await writer.WriteAsync(new RecordBatch<T>(buffer, count), cancellationToken).ConfigureAwait(false);
                    buffer = null;
                    count = 0;
                }
            }

            if (buffer is not null)
            {
                await writer.WriteAsync(new RecordBatch<T>(buffer, count), cancellationToken).ConfigureAwait(false);
                buffer = null;
                count = 0;
            }

            return (null, default);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (null, buffer is null ? default : new RecordBatch<T>(buffer, count));
        }
        catch (Exception ex)
        {
            return (ex, buffer is null ? default : new RecordBatch<T>(buffer, count));
        }
        finally
        {
            writer.TryComplete();
        }
    }

    private static void Return(RecordBatch<T> batch)
    {
        if (batch.Items is { } items)
        {
            ArrayPool<T>.Shared.Return(items, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
        }
    }

    /// <summary>Reports to the inbox first (the store must know), then to the host's status sink.</summary>
    private sealed class CombinedSink(IRecordStatusSink<T> inbox, IRecordStatusSink<T>? host) : IRecordStatusSink<T>
    {
        public async ValueTask ReportAsync(string jobName, ReadOnlyMemory<T> records, ReadOnlyMemory<RecordOutcome> outcomes, CancellationToken cancellationToken)
        {
            await inbox.ReportAsync(jobName, records, outcomes, cancellationToken).ConfigureAwait(false);
            if (host is not null)
            {
                await host.ReportAsync(jobName, records, outcomes, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
