using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Core;
using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Producer;
using Commerce.Jobs.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters.EventHubs;

/// <summary>
/// Sends one event per record to an event hub through one <see cref="EventHubProducerClient"/>, created with the target and
/// disposed with it, and answers each record's outcome.
/// </summary>
/// <remarks>
/// <para>
/// The partition key is the record's id (an <see cref="EntityChange"/>'s entity id), so one entity's events share a partition
/// and keep their order. An <see cref="EventDataBatch"/> takes one partition key, so a delivery groups its records by key, in
/// the batch's order, and sends each group as one or more batches, one after another; groups are sent side by side (at most
/// <see cref="EventHubsTargetOptions.MaxConcurrentSends"/> at once). Without partition keys
/// (<see cref="EventHubsTargetOptions.UsePartitionKey"/> off) the records are one group, sent as few batches as fit.
/// </para>
/// <para>
/// A group that does not fit one batch is split over several. One event too large for an empty batch is that record's
/// permanent failure; the group goes on. A batch the service rejects as too large is split in halves and sent again. Any other
/// failure to send stops the delivery: the failed batch's records and every record not yet sent take its outcome (transient
/// or permanent, see <c>EventHubsTarget.Errors.cs</c>), so a later event of a key is never sent after an earlier one failed.
/// </para>
/// <para>
/// The body is the record as JSON (an entity change's payload; an empty body for a delete); application properties carry the
/// idempotency key and the job (and an entity change's type, kind and version). A record that cannot be made into an event
/// fails alone, permanently.
/// </para>
/// </remarks>
internal sealed partial class EventHubsTarget : IDeliveryTarget, IDeliveryTarget<EntityChange>, IAsyncDisposable
{
    private readonly EventHubProducerClient _producer;
    private readonly string _hub;
    private readonly bool _usePartitionKey;
    private readonly int _maxConcurrentSends;
    private readonly TimeSpan _sendTimeout;
    private readonly JsonSerializerOptions _json;
    private readonly string[] _secrets;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="EventHubsTarget"/> class with a snapshot of <paramref name="options"/>, and creates its client.</summary>
    /// <param name="name">The target's name.</param>
    /// <param name="options">The settings; validated here too.</param>
    /// <param name="time">The clock, for the bound on each operation.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="OptionsValidationException">The settings are invalid, or the client rejects the connection string.</exception>
    public EventHubsTarget(string name, EventHubsTargetOptions options, TimeProvider time, ILogger logger)
        : this(name, options, producer: null, time, logger)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="EventHubsTarget"/> class that sends through <paramref name="producer"/> (tests give a mock).</summary>
    /// <param name="name">The target's name.</param>
    /// <param name="options">The settings; validated here too.</param>
    /// <param name="producer">The client to send through, or <see langword="null"/> to create one from <paramref name="options"/>; the target disposes it.</param>
    /// <param name="time">The clock, for the bound on each operation.</param>
    /// <param name="logger">The logger.</param>
    internal EventHubsTarget(string name, EventHubsTargetOptions options, EventHubProducerClient? producer, TimeProvider time, ILogger logger)
        : this(name, options, producer is null ? null : _ => producer, time, logger)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="EventHubsTarget"/> class whose client <paramref name="createProducer"/> makes (tests give a mock).</summary>
    /// <param name="name">The target's name.</param>
    /// <param name="options">The settings; validated here too.</param>
    /// <param name="createProducer">Makes the client from the credential the target hands it (<see langword="null"/> with a connection string), or <see langword="null"/> to create one from <paramref name="options"/>; the target disposes it.</param>
    /// <param name="time">The clock, for the bound on each operation.</param>
    /// <param name="logger">The logger.</param>
    internal EventHubsTarget(string name, EventHubsTargetOptions options, Func<TokenCredential?, EventHubProducerClient>? createProducer, TimeProvider time, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        var validation = new EventHubsTargetOptionsValidator().Validate(name, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(name, typeof(EventHubsTargetOptions), validation.Failures);
        }

        Name = name;
        _hub = string.IsNullOrWhiteSpace(options.EventHubName) ? EventHubsTargetOptionsValidator.EntityPathOf(options.ConnectionString!)! : options.EventHubName;
        _usePartitionKey = options.UsePartitionKey;
        _maxConcurrentSends = options.MaxConcurrentSends;
        _sendTimeout = options.SendTimeout;
        _json = options.JsonSerializerOptions ?? JsonSerializerOptions.Web;
        _secrets = ErrorText.SecretsOf(options.ConnectionString, "SharedAccessKey", "SharedAccessSignature");
        _time = time;
        _logger = logger;
        var credential = options.Credential is { } given ? new EventHubsTargetCredential(given) : null;
        _producer = createProducer is null ? CreateProducer(name, options, credential) : createProducer(credential);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Gets the event hub's name.</summary>
    public string EventHubName => _hub;

    /// <inheritdoc />
    /// <remarks>Every record, an <see cref="EntityChange"/> too, is a record here; entity changes go through <see cref="DeliverAsync(DeliveryBatch{EntityChange}, CancellationToken)"/>.</remarks>
    public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
        => SendAsync(batch, CreateEvent, cancellationToken);

    /// <summary>
    /// Delivers a batch of entity changes: each event's partition key is the entity id, its body the change's payload as JSON
    /// (empty for a delete), its properties the change's type, kind and version.
    /// </summary>
    /// <param name="batch">The changes.</param>
    /// <param name="cancellationToken">Cancelled when the delivery stops.</param>
    /// <returns>What became of the batch or of each change.</returns>
    public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<EntityChange> batch, CancellationToken cancellationToken)
        => SendAsync(batch, CreateChangeEvent, cancellationToken);

    /// <summary>Closes the client; a delivery still running fails.</summary>
    /// <returns>A task that completes when the client is closed.</returns>
    public ValueTask DisposeAsync() => _producer.DisposeAsync();

    private async ValueTask<DeliveryResult> SendAsync<T>(DeliveryBatch<T> batch, Func<DeliveryBatch<T>, int, Pending> createEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        if (batch.Count == 0)
        {
            return DeliveryResult.Delivered;
        }

        var started = _time.GetTimestamp();
        var delivery = new Delivery(batch.Count);
        var groups = new Dictionary<string, List<Pending>>(StringComparer.Ordinal);
        var order = new List<(string? PartitionKey, List<Pending> Events)>();
        for (var i = 0; i < batch.Count; i++)
        {
            Pending created;
            try
            {
                created = createEvent(batch, i);
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException)
            {
                delivery.Decide(i, RecordOutcome.Permanent($"Event Hubs target '{Name}': record {RecordName.Of(batch, i)} cannot be serialized to JSON: {ex.Message}"), own: true);
                continue;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The record's own fault (a converter that throws, an id that cannot be read): it fails alone.
                delivery.Decide(i, RecordOutcome.Permanent($"Event Hubs target '{Name}': record {RecordName.Of(batch, i)} cannot be made into an event: {ex.GetType().Name}: {ex.Message}"), own: true);
                continue;
            }

            // Without partition keys every record is in one group, sent as few batches as fit.
            var key = _usePartitionKey ? created.PartitionKey : string.Empty;
            if (!groups.TryGetValue(key, out var group))
            {
                group = [];
                groups.Add(key, group);
                order.Add((_usePartitionKey ? key : null, group));
            }

            group.Add(created);
        }

        if (order.Count == 1)
        {
            await SendGroupAsync(order[0].Events, order[0].PartitionKey, delivery, cancellationToken).ConfigureAwait(false);
        }
        else if (order.Count > 1)
        {
            await Parallel.ForEachAsync(
                order,
                new ParallelOptions { MaxDegreeOfParallelism = _maxConcurrentSends, CancellationToken = cancellationToken },
                (group, token) => SendGroupAsync(group.Events, group.PartitionKey, delivery, token)).ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return Result(delivery, started);
    }

    /// <summary>Sends one partition key's events in order, as few batches as fit; stops at the delivery's first failure.</summary>
    private async ValueTask SendGroupAsync(List<Pending> group, string? partitionKey, Delivery delivery, CancellationToken cancellationToken)
    {
        var inBatch = new List<Pending>();
        EventDataBatch? current = null;
        try
        {
            foreach (var pending in group)
            {
                if (delivery.Stopped)
                {
                    return;
                }

                current ??= await CreateBatchAsync(partitionKey, delivery, cancellationToken).ConfigureAwait(false);
                if (current is null)
                {
                    return;
                }

                if (current.TryAdd(pending.Event))
                {
                    inBatch.Add(pending);
                    continue;
                }

                if (current.Count > 0)
                {
                    // The batch is full: send it and start the next one with this event.
                    await SendBatchAsync(current, inBatch, partitionKey, delivery, cancellationToken).ConfigureAwait(false);
                    current.Dispose();
                    current = null;
                    inBatch.Clear();
                    if (delivery.Stopped)
                    {
                        return;
                    }

                    current = await CreateBatchAsync(partitionKey, delivery, cancellationToken).ConfigureAwait(false);
                    if (current is null)
                    {
                        return;
                    }

                    if (current.TryAdd(pending.Event))
                    {
                        inBatch.Add(pending);
                        continue;
                    }
                }

                delivery.Decide(pending.Index, TooLarge(pending, current.MaximumSizeInBytes), own: true);
            }

            if (current is { Count: > 0 } && !delivery.Stopped)
            {
                await SendBatchAsync(current, inBatch, partitionKey, delivery, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            current?.Dispose();
        }
    }

    /// <summary>Sends a batch; one the service finds too large is split in halves and sent again, down to single events.</summary>
    private async ValueTask SendBatchAsync(EventDataBatch batch, List<Pending> events, string? partitionKey, Delivery delivery, CancellationToken cancellationToken)
    {
        var failure = await TrySendAsync(batch, events.Count, cancellationToken).ConfigureAwait(false);
        if (failure is null)
        {
            foreach (var pending in events)
            {
                delivery.Decide(pending.Index, RecordOutcome.Delivered, own: false);
            }

            return;
        }

        if (IsTooLarge(failure))
        {
            if (events.Count == 1)
            {
                delivery.Decide(events[0].Index, TooLarge(events[0], batch.MaximumSizeInBytes, failure), own: true);
                return;
            }

            // Each half goes out like a group of its own: in order, in as few batches as now fit, and an event that no longer
            // fits an empty batch fails alone. A half holds fewer events than the rejected batch, so the splitting ends.
            var half = events.Count / 2;
            await SendGroupAsync(events[..half], partitionKey, delivery, cancellationToken).ConfigureAwait(false);
            if (!delivery.Stopped)
            {
                await SendGroupAsync(events[half..], partitionKey, delivery, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var outcome = Classify(failure, events.Count, out var retryAfter);
        foreach (var pending in events)
        {
            delivery.Decide(pending.Index, outcome, own: false);
        }

        delivery.Stop(outcome, retryAfter);
    }

    /// <summary>Creates a batch for a partition key within the send timeout; on failure stops the delivery and returns <see langword="null"/>.</summary>
    private async ValueTask<EventDataBatch?> CreateBatchAsync(string? partitionKey, Delivery delivery, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_sendTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return await _producer.CreateBatchAsync(new CreateBatchOptions { PartitionKey = partitionKey }, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (IsServiceFailure(ex) || timeout.IsCancellationRequested)
        {
            var outcome = Classify(timeout.IsCancellationRequested ? new TimeoutException($"no answer within {_sendTimeout}", ex) : ex, 0, out var retryAfter);
            delivery.Stop(outcome, retryAfter);
            return null;
        }
    }

    /// <summary>Sends a batch within the send timeout; returns what it threw, or <see langword="null"/> when it was sent.</summary>
    private async ValueTask<Exception?> TrySendAsync(EventDataBatch batch, int events, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(_sendTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = _time.GetTimestamp();
        try
        {
            await _producer.SendAsync(batch, linked.Token).ConfigureAwait(false);
            EventHubsTargetLog.Sent(_logger, Name, events, _hub, _time.GetElapsedTime(started).TotalMilliseconds);
            return null;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (IsServiceFailure(ex) || timeout.IsCancellationRequested)
        {
            return timeout.IsCancellationRequested && ex is OperationCanceledException
                ? new TimeoutException($"no answer within {_sendTimeout}", ex)
                : ex;
        }
    }

    private DeliveryResult Result(Delivery delivery, long started)
    {
        var outcomes = delivery.Outcomes();
        var delivered = 0;
        string? firstError = null;
        foreach (var outcome in outcomes)
        {
            if (outcome.Status == RecordStatus.Delivered)
            {
                delivered++;
            }
            else
            {
                firstError ??= outcome.Error;
            }
        }

        if (delivered == outcomes.Length)
        {
            EventHubsTargetLog.Delivered(_logger, Name, delivered, _hub, _time.GetElapsedTime(started).TotalMilliseconds);
            return DeliveryResult.Delivered;
        }

        EventHubsTargetLog.Failed(_logger, Name, outcomes.Length - delivered, outcomes.Length, _hub, firstError!);
        if (delivered == 0 && delivery.StopOutcome is { } stop)
        {
            // Nothing reached the hub and the service failed the delivery as a whole (unreachable, busy, unauthorised, not
            // found): told as a failure of the whole call, so that it counts for the target's health. Records that could not be
            // made into events ride along a transient failure and fail alone at the first attempt that reaches the hub.
            if (stop.Status == RecordStatus.TransientFailure)
            {
                return DeliveryResult.TransientFailure(stop.Error!, delivery.RetryAfter);
            }

            if (delivery.OwnFailures == 0)
            {
                return DeliveryResult.PermanentFailure(stop.Error!);
            }
        }

        return DeliveryResult.PerRecord(outcomes, delivery.RetryAfter);
    }

    private RecordOutcome TooLarge(Pending pending, long maximumSize, Exception? failure = null)
        => RecordOutcome.Permanent(
            $"Event Hubs target '{Name}': record {Quote(pending.RecordId)} is too large for one event of event hub '{_hub}' (at most {maximumSize.ToString(CultureInfo.InvariantCulture)} bytes with its properties)"
            + (failure is null ? string.Empty : $": {MessageOf(failure)}"));

    private Pending CreateEvent<T>(DeliveryBatch<T> batch, int index)
    {
        var id = batch.GetRecordId(index);
        var data = new EventData(JsonSerializer.SerializeToUtf8Bytes(batch.Records.Span[index], _json)) { ContentType = EventHubsTargetDefaults.JsonContentType };
        AddProperties(data, batch, index);
        return new Pending(index, id, PartitionKey(id), data);
    }

    private Pending CreateChangeEvent(DeliveryBatch<EntityChange> batch, int index)
    {
        var change = batch.Records.Span[index];
        var data = change.Kind == EntityChangeKind.Delete
            ? new EventData(BinaryData.Empty)
            : new EventData(JsonSerializer.SerializeToUtf8Bytes(change.Payload, _json)) { ContentType = EventHubsTargetDefaults.JsonContentType };
        AddProperties(data, batch, index);
        data.Properties[EventHubsTargetDefaults.EntityTypeProperty] = IdempotencyKey.Encode(change.EntityType);
        data.Properties[EventHubsTargetDefaults.ChangeKindProperty] = change.Kind == EntityChangeKind.Delete ? "delete" : "upsert";
        data.Properties[EventHubsTargetDefaults.EntityVersionProperty] = change.Version;
        return new Pending(index, change.RecordId, PartitionKey(change.Id), data);
    }

    private static void AddProperties<T>(EventData data, DeliveryBatch<T> batch, int index)
    {
        data.Properties[EventHubsTargetDefaults.IdempotencyKeyProperty] = batch.GetIdempotencyKey(index);
        data.Properties[EventHubsTargetDefaults.JobProperty] = IdempotencyKey.Encode(batch.JobName);
    }

    /// <summary>
    /// The partition key of an id: the id itself when it has at most <see cref="EventHubsTargetDefaults.MaxPartitionKeyLength"/>
    /// characters, else <c>sha256:</c> and the hex digest of its UTF-8 bytes, the same on every host.
    /// </summary>
    internal static string PartitionKey(string id)
        => id.Length <= EventHubsTargetDefaults.MaxPartitionKeyLength
            ? id
            : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));

    private static string Quote(string id)
    {
        var encoded = IdempotencyKey.Encode(id);
        return encoded.Length > IdempotencyKey.MaxPartLength ? $"'{encoded.AsSpan(0, IdempotencyKey.MaxPartLength)}…'" : $"'{encoded}'";
    }

    private EventHubProducerClient CreateProducer(string name, EventHubsTargetOptions options, TokenCredential? credential)
    {
        var clientOptions = new EventHubProducerClientOptions
        {
            Identifier = $"commerce-jobs-{name}",
            RetryOptions = new EventHubsRetryOptions
            {
                MaximumRetries = 0, // the job's retry window retries, with the target's health in view
                TryTimeout = options.SendTimeout,
            },
        };
        try
        {
            return options.ConnectionString is { } connectionString && !string.IsNullOrWhiteSpace(connectionString)
                ? string.IsNullOrWhiteSpace(options.EventHubName)
                    ? new EventHubProducerClient(connectionString, clientOptions)
                    : new EventHubProducerClient(connectionString, options.EventHubName, clientOptions)
                : new EventHubProducerClient(options.FullyQualifiedNamespace, options.EventHubName, credential, clientOptions);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException)
        {
            // The connection string is not repeated: it carries the key.
            throw new OptionsValidationException(name, typeof(EventHubsTargetOptions), [$"Event Hubs target '{name}': the client cannot be created from the settings: {MessageOf(ex)}"]);
        }
    }

    /// <summary>One record's event and its partition key, waiting for its batch.</summary>
    private sealed record Pending(int Index, string RecordId, string PartitionKey, EventData Event);

    /// <summary>The outcomes of one delivery, written by its concurrent sends (each record by one of them), and its first failure.</summary>
    private sealed class Delivery(int count)
    {
        private readonly RecordOutcome?[] _outcomes = new RecordOutcome?[count];
        private readonly Lock _gate = new();
        private volatile bool _stopped;
        private int _ownFailures;

        public bool Stopped => _stopped;

        public RecordOutcome? StopOutcome { get; private set; }

        public TimeSpan? RetryAfter { get; private set; }

        public int OwnFailures => Volatile.Read(ref _ownFailures);

        public void Decide(int index, RecordOutcome outcome, bool own)
        {
            _outcomes[index] = outcome;
            if (own)
            {
                Interlocked.Increment(ref _ownFailures);
            }
        }

        /// <summary>Stops the delivery at its first failure: records not yet decided take that outcome.</summary>
        public void Stop(RecordOutcome outcome, TimeSpan? retryAfter)
        {
            lock (_gate)
            {
                if (StopOutcome is null)
                {
                    StopOutcome = outcome;
                    RetryAfter = retryAfter;
                    _stopped = true;
                }
            }
        }

        public RecordOutcome[] Outcomes()
        {
            var outcomes = new RecordOutcome[_outcomes.Length];
            for (var i = 0; i < outcomes.Length; i++)
            {
                outcomes[i] = _outcomes[i] ?? StopOutcome ?? throw new InvalidOperationException("A record was neither sent nor failed.");
            }

            return outcomes;
        }
    }
}
