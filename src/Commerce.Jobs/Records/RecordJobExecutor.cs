using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Commerce.Jobs.Diagnostics;
using Commerce.Jobs.Internal;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Storage;
using Commerce.Jobs.Targets;
using Polly;

namespace Commerce.Jobs.Records;

/// <summary>
/// Runs a record job: a reader streams records from the source into pooled batches of <c>BatchSize</c> through a
/// channel of two, so reading and delivering overlap and memory stays bounded; delivery retries each batch within its
/// retry window (a Polly pipeline), then tells the status sink and the store each record's final outcome, and stops
/// the run when more than <c>MaxItemsToSkip</c> records were not exported (skipped, failed or quarantined). It returns
/// its counts however it ends (cancelled, or failed by an exception), and releases the inbox records it did not settle.
/// </summary>
internal sealed class RecordJobExecutor<T> : IJobExecutor
{
    private const string StoppedError = "Not attempted: the run stopped before reaching this record.";

    private readonly string _jobName;
    private readonly JobOptions _options;
    private readonly RecordJobDefinition<T> _definition;
    private readonly Func<T, string> _recordId;
    private readonly IRecordStore _store;
    private readonly TimeProvider _time;
    private readonly IDeliveryTarget<T>? _namedTarget;
    private readonly TargetHealthMonitor? _health;
    private readonly ResiliencePipeline<DeliveryAttempt<T>> _pipeline;
    private readonly KeyValuePair<string, object?> _jobTag;
    private readonly EngineObserver? _observer;

    public RecordJobExecutor(RecordJobDefinition<T> definition, JobOptions options, Func<T, string> recordId, IDeliveryTarget<T>? namedTarget, TargetHealthMonitor? health, IRecordStore store, TimeProvider time, EngineObserver? observer)
    {
        _observer = observer;
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
        var inbox = source as InboxSource<T>;
        var counts = new RunCounts();
        try
        {
            return await RunAsync(context, source, inbox, counts, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await SettleQuarantinedAfterEndAsync(context, inbox, counts).ConfigureAwait(false);
            return JobResult.Create(JobOutcome.Cancelled, "The run was cancelled.", null, counts.ToRecordCounts());
        }
        catch (Exception ex)
        {
            // The run keeps its truth: what it read and delivered before the error, and the error itself.
            context.Log(JobLogLevel.Error, ex.ToString());
            await SettleQuarantinedAfterEndAsync(context, inbox, counts).ConfigureAwait(false);
            return JobResult.Create(JobOutcome.Failed, $"{ex.GetType().Name}: {ex.Message}", null, counts.ToRecordCounts());
        }
        finally
        {
            if (inbox is not null)
            {
                await ReleaseAsync(context, inbox).ConfigureAwait(false);
            }
        }
    }

    private async ValueTask<JobResult> RunAsync(JobContext context, IRecordSource<T> source, InboxSource<T>? inbox, RunCounts counts, CancellationToken cancellationToken)
    {
        var services = context.Services;
        var target = _namedTarget ?? _definition.Target!(services);
        if (_health is not null)
        {
            target = new HealthCheckedTarget<T>(target, _health);
        }

        var userSink = _options.UpdateStatus ? _definition.Sink?.Invoke(services) : null;

        // An inbox is settled whatever the status settings: its records leave the store only once delivered.
        var sink = inbox is not null ? new CombinedSink(inbox, userSink) : userSink;
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
        var attempt = new DeliveryAttempt<T>(_jobName, target, _recordId, _options.RetryWindow, _time, _observer);
        var outcomes = ArrayPool<RecordOutcome>.Shared.Rent(_options.BatchSize);
        string? stopError = null;
        string? pausedError = null;

        // Records that were not exported, for any reason, count toward MaxItemsToSkip; the (K+1)-th stops the run.
        // Records never attempted (read after the run stopped or its target was paused) stay pending and do not count.
        async ValueTask CheckThresholdAsync()
        {
            var notExported = counts.Skipped - counts.NotAttempted + counts.Failed;
            if (stopError is null && notExported > _options.MaxItemsToSkip)
            {
                stopError = $"{notExported} records were not exported ({counts.Skipped - counts.NotAttempted} skipped, {counts.Failed} failed), more than MaxItemsToSkip ({_options.MaxItemsToSkip}); the run stopped.";
                context.Log(JobLogLevel.Error, stopError);
                await stopReading.CancelAsync().ConfigureAwait(false);
            }
        }

        try
        {
            await foreach (var batch in batches.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    // A cancelled run delivers nothing more, even what is already waiting in the channel.
                    cancellationToken.ThrowIfCancellationRequested();
                    counts.Read += batch.Count;
                    if (stopError is not null || pausedError is not null)
                    {
                        counts.Skipped += batch.Count;
                        counts.NotAttempted += batch.Count;
                        await AbandonAsync(userSink, batch, outcomes, cancellationToken).ConfigureAwait(false);
                        continue;
                    }

                    await DeliverAsync(context, attempt, sink, known, batch, outcomes, counts, cancellationToken).ConfigureAwait(false);
                    await SettleQuarantinedAsync(context, inbox, counts, cancellationToken).ConfigureAwait(false);
                    await CheckThresholdAsync().ConfigureAwait(false);
                    if (stopError is null && _health is { IsUnhealthy: true })
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
                    counts.Read += leftover.Count;
                    counts.Skipped += leftover.Count;
                    counts.NotAttempted += leftover.Count;
                    await AbandonAsync(userSink, leftover, outcomes, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    Return(leftover);
                }
            }

            await SettleQuarantinedAsync(context, inbox, counts, cancellationToken).ConfigureAwait(false);
            await CheckThresholdAsync().ConfigureAwait(false);
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

        var result = counts.ToRecordCounts();
        if (stopError is not null)
        {
            return JobResult.Create(JobOutcome.Failed, stopError, null, result);
        }

        if (counts.Skipped + counts.Failed == 0 && pausedError is null)
        {
            return JobResult.Create(JobOutcome.Succeeded, null, null, result);
        }

        var error = pausedError ?? $"{counts.Skipped} records skipped, {counts.Failed} failed permanently.";

        // Nothing got through although there was something to export: the administrator must hear of it, whatever K is.
        return counts.Delivered == 0 && counts.Read > 0
            ? JobResult.Create(JobOutcome.Failed, $"Nothing was delivered: {error}", null, result)
            : JobResult.Create(JobOutcome.PartiallySucceeded, error, null, result);
    }

    /// <summary>Gives back what the run claimed and did not settle; a store that fails here only delays them until their lease ends.</summary>
    private static async ValueTask ReleaseAsync(JobContext context, InboxSource<T> inbox)
    {
        try
        {
            await inbox.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            context.Log(JobLogLevel.Warning, $"Releasing the run's unsettled inbox records failed; they are taken over when their lease ends: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Counts and records the inbox records quarantined since the last batch: read, and failed permanently.</summary>
    private async ValueTask SettleQuarantinedAsync(JobContext context, InboxSource<T>? inbox, RunCounts counts, CancellationToken cancellationToken)
    {
        if (inbox?.TakeQuarantined() is not { } quarantined)
        {
            return;
        }

        counts.Read += quarantined.Count;
        counts.Failed += quarantined.Count;
        foreach (var failure in quarantined)
        {
            context.Log(JobLogLevel.Warning, $"Record {failure.RecordId} quarantined: {failure.Error}");
        }

        await _store.AddRecordFailuresAsync(_jobName, quarantined, cancellationToken).ConfigureAwait(false);
        JobsTelemetry.RecordsFailed.Add(quarantined.Count, _jobTag);
    }

    /// <summary>After a run ended by cancellation or an error: what the inbox quarantined still counts and is recorded, best effort.</summary>
    private async ValueTask SettleQuarantinedAfterEndAsync(JobContext context, InboxSource<T>? inbox, RunCounts counts)
    {
        try
        {
            await SettleQuarantinedAsync(context, inbox, counts, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            context.Log(JobLogLevel.Warning, $"Recording the run's quarantined records among the job's failures failed (they are failed in the inbox): {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Whether the job has any failure when the run starts: one row read, however many it has.</summary>
    private async ValueTask<KnownFailures> LoadKnownFailuresAsync(CancellationToken cancellationToken)
    {
        var first = await _store.GetRecordFailuresAsync(_jobName, after: null, limit: 1, cancellationToken).ConfigureAwait(false);
        return new KnownFailures { Any = first.Count > 0 };
    }

    private async ValueTask DeliverAsync(
        JobContext context,
        DeliveryAttempt<T> attempt,
        IRecordStatusSink<T>? sink,
        KnownFailures known,
        RecordBatch<T> batch,
        RecordOutcome[] outcomes,
        RunCounts counts,
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

        // Counted as soon as the target answered: a run that ends on an error after this point still tells what went out.
        var (delivered, skipped, failed) = attempt.Finish();
        counts.Delivered += delivered;
        counts.Skipped += skipped;
        counts.Failed += failed;
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
                    failures.Add(new RecordFailure(id, outcomes[i].Status, OutsideText.Cap(outcomes[i].Error), 0, now));
                    context.Log(JobLogLevel.Warning, $"Record {id} {(outcomes[i].Status == RecordStatus.Skipped ? "skipped" : "failed permanently")}: {outcomes[i].Error}");
                }
            }

            if (attempt.GaveUp is { } reason)
            {
                context.Log(JobLogLevel.Warning, $"Retries given up: {reason}.");
            }

            await _store.AddRecordFailuresAsync(_jobName, failures, cancellationToken).ConfigureAwait(false);
            known.Any = true;
            JobsTelemetry.RecordsSkipped.Add(skipped, _jobTag);
            JobsTelemetry.RecordsFailed.Add(failed, _jobTag);
        }

        if (known.Any && delivered > 0)
        {
            await ForgetDeliveredAsync(batch, outcomes, cancellationToken).ConfigureAwait(false);
        }

        JobsTelemetry.RecordsDelivered.Add(delivered, _jobTag);
    }

    /// <summary>Forgets the failures of the batch's delivered records: reads only the failures among them, so a run never reads the job's whole list.</summary>
    private async ValueTask ForgetDeliveredAsync(RecordBatch<T> batch, RecordOutcome[] outcomes, CancellationToken cancellationToken)
    {
        var delivered = new List<string>(batch.Count);
        var records = batch.Memory.Span;
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i].Status == RecordStatus.Delivered)
            {
                delivered.Add(_recordId(records[i]));
            }
        }

        var failed = await _store.FindRecordFailuresAsync(_jobName, delivered, cancellationToken).ConfigureAwait(false);
        if (failed.Count > 0)
        {
            await _store.RemoveRecordFailuresAsync(_jobName, [.. failed.Select(f => f.RecordId)], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Tells the host's status sink that records read before the run stopped were not attempted. An inbox is not told:
    /// they were never attempted, so they are released untouched when the run ends.
    /// </summary>
    private async ValueTask AbandonAsync(IRecordStatusSink<T>? sink, RecordBatch<T> batch, RecordOutcome[] outcomes, CancellationToken cancellationToken)
    {
        if (sink is null)
        {
            return;
        }

        Array.Fill(outcomes, new RecordOutcome(RecordStatus.Skipped, StoppedError), 0, batch.Count);
        await sink.ReportAsync(_jobName, batch.Memory, new ReadOnlyMemory<RecordOutcome>(outcomes, 0, batch.Count), cancellationToken).ConfigureAwait(false);
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

    /// <summary>Whether the job may have failures that a delivered record clears: it had some when the run started, or the run added some.</summary>
    private sealed class KnownFailures
    {
        public bool Any;
    }

    /// <summary>A run's record counts so far (kept outside the run's body, so a run that ends on an error or a cancellation still reports them).</summary>
    private sealed class RunCounts
    {
        public long Read;
        public long Delivered;
        public long Skipped;
        public long Failed;

        /// <summary>Of <see cref="Skipped"/>, the records read but never attempted: they stay pending and count toward no threshold.</summary>
        public long NotAttempted;

        public RecordCounts ToRecordCounts() => new(Read, Delivered, Skipped, Failed);
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
