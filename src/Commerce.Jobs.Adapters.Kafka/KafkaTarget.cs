using System.Globalization;
using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters.Kafka;

/// <summary>
/// Produces one message per record to a topic through an idempotent producer (<c>enable.idempotence</c>, <c>acks=all</c>),
/// created once per target and disposed with it, and answers each record's outcome from its delivery report.
/// </summary>
/// <remarks>
/// The key is the record's id (an <see cref="EntityChange"/>'s entity id), so one entity's messages share a partition and
/// keep their order; the value is the record as JSON (an entity change's payload, or no value — a tombstone — for a
/// delete); headers carry the idempotency key and the job (and an entity change's type, kind and version), each one line
/// of visible ASCII (<see cref="IdempotencyKey"/>: the key as built there, names percent-encoded by
/// <see cref="IdempotencyKey.Encode"/>). A record that cannot be made into a message fails alone, permanently. A batch is
/// flushed: the call returns when every message has its report, or <see cref="KafkaTargetOptions.DeliveryTimeout"/> has passed.
/// When no message was delivered or rejected on its own because no broker could be reached (timeouts, transport
/// errors), the batch fails transiently as a whole, so that a dead cluster marks the target unhealthy.
/// </remarks>
internal sealed partial class KafkaTarget : IDeliveryTarget, IDeliveryTarget<EntityChange>, IDisposable
{
    private readonly string _topic;
    private readonly ProducerConfig _config;
    private readonly TimeSpan _deliveryTimeout;
    private readonly JsonSerializerOptions _json;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private IProducer<string, byte[]> _producer;
    private volatile bool _fatal;
    private bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="KafkaTarget"/> class with a snapshot of <paramref name="options"/>, and creates its producer.</summary>
    /// <param name="name">The target's name.</param>
    /// <param name="options">The settings; validated here too.</param>
    /// <param name="time">The clock, for the bound on waiting for delivery reports.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="OptionsValidationException">The settings are invalid, or librdkafka rejects a producer setting.</exception>
    public KafkaTarget(string name, KafkaTargetOptions options, TimeProvider time, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        var validation = new KafkaTargetOptionsValidator().Validate(name, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(name, typeof(KafkaTargetOptions), validation.Failures);
        }

        Name = name;
        _topic = options.Topic!;
        _deliveryTimeout = options.DeliveryTimeout;
        _json = options.JsonSerializerOptions ?? JsonSerializerOptions.Web;
        _time = time;
        _logger = logger;
        _config = new ProducerConfig(new Dictionary<string, string>(options.ProducerSettings, StringComparer.Ordinal))
        {
            BootstrapServers = options.BootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            MessageTimeoutMs = (int)Math.Ceiling(options.DeliveryTimeout.TotalMilliseconds),
        };
        if (_config.ClientId is null)
        {
            _config.ClientId = $"commerce-jobs-{name}";
        }

        try
        {
            _producer = CreateProducer();
        }
        catch (Exception ex) when (ex is ArgumentException or KafkaException or InvalidOperationException)
        {
            throw new OptionsValidationException(name, typeof(KafkaTargetOptions), [$"Kafka target '{name}': the producer cannot be created from the settings: {RedactSecrets(ex.Message, options.ProducerSettings)}"]);
        }
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Gets the topic.</summary>
    public string Topic => _topic;

    /// <inheritdoc />
    /// <remarks>Every record, an <see cref="EntityChange"/> too, is a record here; entity changes go through <see cref="DeliverAsync(DeliveryBatch{EntityChange}, CancellationToken)"/>.</remarks>
    public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
        => ProduceAsync(batch, CreateMessage, cancellationToken);

    /// <summary>
    /// Delivers a batch of entity changes: each message is keyed by the entity id, carries the change's payload (no value —
    /// a tombstone — for a delete) and its type, kind and version in headers.
    /// </summary>
    /// <param name="batch">The changes.</param>
    /// <param name="cancellationToken">Cancelled when the delivery stops.</param>
    /// <returns>What became of the batch or of each change.</returns>
    public ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<EntityChange> batch, CancellationToken cancellationToken)
        => ProduceAsync(batch, CreateChangeMessage, cancellationToken);

    private async ValueTask<DeliveryResult> ProduceAsync<T>(DeliveryBatch<T> batch, Func<DeliveryBatch<T>, int, Message<string, byte[]>> createMessage, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        if (batch.Count == 0)
        {
            return DeliveryResult.Delivered;
        }

        var producer = CurrentProducer();
        var started = _time.GetTimestamp();
        var outcomes = new RecordOutcome[batch.Count];
        var reports = new Task<DeliveryResult<string, byte[]>>?[batch.Count];
        var waiting = new List<Task>(batch.Count);
        var unbuildable = 0;
        for (var i = 0; i < outcomes.Length; i++)
        {
            Message<string, byte[]> message;
            try
            {
                message = createMessage(batch, i);
            }
            catch (Exception ex) when (ex is JsonException or NotSupportedException)
            {
                outcomes[i] = RecordOutcome.Permanent($"Kafka target '{Name}': record {RecordName.Of(batch, i)} cannot be serialized to JSON: {ex.Message}");
                unbuildable++;
                continue;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The record's own fault (a converter that throws, an id that cannot be read): it fails alone.
                outcomes[i] = RecordOutcome.Permanent($"Kafka target '{Name}': record {RecordName.Of(batch, i)} cannot be made into a message: {ex.GetType().Name}: {ex.Message}");
                unbuildable++;
                continue;
            }

            try
            {
                // Not cancellable: once handed to librdkafka the message goes out; the wait below is what cancels.
                reports[i] = producer.ProduceAsync(_topic, message, CancellationToken.None);
                waiting.Add(reports[i]!);
            }
            catch (ProduceException<string, byte[]> ex)
            {
                outcomes[i] = Outcome(ex.Error, batch.GetRecordId(i));
            }
            catch (KafkaException ex)
            {
                outcomes[i] = Outcome(ex.Error, batch.GetRecordId(i));
            }
        }

        // The flush: wait for every report, bounded (librdkafka reports each message within message.timeout.ms).
        await Task.WhenAll(waiting).WaitAsync(_deliveryTimeout + KafkaTargetDefaults.ReportGrace, _time, cancellationToken)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();

        var delivered = 0;
        var rejected = 0;
        string? firstError = null;
        string? firstTransient = null;
        for (var i = 0; i < outcomes.Length; i++)
        {
            if (reports[i] is { } report)
            {
                outcomes[i] = report.Status switch
                {
                    TaskStatus.RanToCompletion => RecordOutcome.Delivered,
                    TaskStatus.Faulted when report.Exception!.InnerException is ProduceException<string, byte[]> ex => Outcome(ex.Error, batch.GetRecordId(i)),
                    TaskStatus.Faulted => RecordOutcome.Transient($"Kafka target '{Name}': record '{batch.GetRecordId(i)}' failed: {report.Exception!.InnerException?.Message}"),
                    _ => RecordOutcome.Transient($"Kafka target '{Name}': no delivery report for record '{batch.GetRecordId(i)}' within {_deliveryTimeout + KafkaTargetDefaults.ReportGrace}"),
                };
            }

            if (outcomes[i].Status == RecordStatus.Delivered)
            {
                delivered++;
            }
            else
            {
                firstError ??= outcomes[i].Error;
                rejected += outcomes[i].Status == RecordStatus.PermanentFailure ? 1 : 0;
                firstTransient ??= outcomes[i].Status == RecordStatus.TransientFailure ? outcomes[i].Error : null;
            }
        }

        if (delivered == outcomes.Length)
        {
            KafkaTargetLog.Delivered(_logger, Name, delivered, outcomes.Length, _topic, _time.GetElapsedTime(started).TotalMilliseconds);
            return DeliveryResult.Delivered;
        }

        KafkaTargetLog.Failed(_logger, Name, outcomes.Length - delivered, outcomes.Length, _topic, firstError!);

        // No message was delivered or rejected on its own, and those handed to the producer failed transiently (no
        // broker, timed out, transport errors): the brokers were unavailable, an outage told as a failure of the whole
        // call so that it counts for the target's health. Records that could not be made into messages ride along
        // transiently and fail alone at the first attempt that reaches a broker.
        return delivered == 0 && rejected == unbuildable && firstTransient is not null
            ? DeliveryResult.TransientFailure(firstTransient)
            : DeliveryResult.PerRecord(outcomes);
    }

    /// <summary>Disposes the producer; messages still queued (of a cancelled batch, reported as not delivered) are dropped.</summary>
    public void Dispose()
    {
        IProducer<string, byte[]> producer;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            producer = _producer;
        }

        producer.Dispose();
    }

    /// <summary>Replaces the values of secret settings (passwords, keys, secrets) in librdkafka's text, which may quote a value it rejects.</summary>
    private static string RedactSecrets(string text, IDictionary<string, string> settings)
    {
        foreach (var (key, value) in settings)
        {
            if (value.Length > 0
                && (key.Contains("password", StringComparison.OrdinalIgnoreCase) || key.Contains("secret", StringComparison.OrdinalIgnoreCase)
                    || key.Contains("key", StringComparison.OrdinalIgnoreCase) || key.Contains("jaas", StringComparison.OrdinalIgnoreCase)))
            {
                text = text.Replace(value, "***", StringComparison.Ordinal);
            }
        }

        return text;
    }

    private Message<string, byte[]> CreateMessage<T>(DeliveryBatch<T> batch, int index)
    {
        var headers = Headers(batch, index);
        return new Message<string, byte[]>
        {
            Key = batch.GetRecordId(index),
            Value = JsonSerializer.SerializeToUtf8Bytes(batch.Records.Span[index], _json),
            Headers = headers,
        };
    }

    private Message<string, byte[]> CreateChangeMessage(DeliveryBatch<EntityChange> batch, int index)
    {
        var change = batch.Records.Span[index];
        var headers = Headers(batch, index);
        headers.Add(KafkaTargetDefaults.EntityTypeHeader, Encoding.ASCII.GetBytes(IdempotencyKey.Encode(change.EntityType)));
        headers.Add(KafkaTargetDefaults.ChangeKindHeader, change.Kind == EntityChangeKind.Delete ? "delete"u8.ToArray() : "upsert"u8.ToArray());
        headers.Add(KafkaTargetDefaults.EntityVersionHeader, Encoding.UTF8.GetBytes(change.Version.ToString(CultureInfo.InvariantCulture)));
        return new Message<string, byte[]>
        {
            Key = change.Id,
            Value = change.Kind == EntityChangeKind.Delete ? null! : JsonSerializer.SerializeToUtf8Bytes(change.Payload, _json),
            Headers = headers,
        };
    }

    private static Headers Headers<T>(DeliveryBatch<T> batch, int index) => new()
    {
        { KafkaTargetDefaults.IdempotencyKeyHeader, Encoding.ASCII.GetBytes(batch.GetIdempotencyKey(index)) },
        { KafkaTargetDefaults.JobHeader, Encoding.ASCII.GetBytes(IdempotencyKey.Encode(batch.JobName)) },
    };

    private IProducer<string, byte[]> CurrentProducer()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_fatal)
            {
                // An idempotent producer that hit a fatal error (a broken sequence) refuses every message: start afresh.
                KafkaTargetLog.ProducerReplaced(_logger, Name);
                var broken = _producer;
                _producer = CreateProducer();
                _fatal = false;
                broken.Dispose();
            }

            return _producer;
        }
    }

    private IProducer<string, byte[]> CreateProducer() => new ProducerBuilder<string, byte[]>(_config)
        .SetKeySerializer(Serializers.Utf8)
        .SetValueSerializer(Serializers.ByteArray)
        .SetErrorHandler((_, error) =>
        {
            if (error.IsFatal)
            {
                _fatal = true;
            }

            KafkaTargetLog.ProducerError(_logger, Name, error.Code.ToString(), error.IsFatal, error.Reason);
        })
        .SetLogHandler((_, message) =>
        {
            if (message.Level <= SyslogLevel.Warning)
            {
                KafkaTargetLog.ClientWarning(_logger, Name, message.Facility, message.Message);
            }
            else
            {
                KafkaTargetLog.Client(_logger, Name, message.Facility, message.Message);
            }
        })
        .Build();
}
