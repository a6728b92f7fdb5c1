using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.Adapters;

/// <summary>
/// Delivers batches to an HTTP endpoint as signed JSON POSTs, one per batch or one per record, with idempotency keys
/// that stay the same on every retry and after a restart.
/// </summary>
/// <remarks>
/// Status codes: 2xx delivered (or per-record results from the body), 408, 429 and 5xx transient, other codes
/// (3xx included: redirects are not followed) permanent; timeouts and network errors transient. <c>Retry-After</c>
/// becomes <see cref="DeliveryResult.RetryAfter"/>. The target never retries by itself: the job's retry window does.
/// When nothing reached the endpoint (every request sent failed transiently, no record was delivered or rejected on its
/// own) the answer is a transient failure of the whole call, in every mode, so that an outage counts for the target's health.
/// Error strings and logs name the target, never its address (whose query may carry a key) nor the secret.
/// </remarks>
internal sealed partial class HttpTarget : IDeliveryTarget
{
    /// <summary>The header that carries the record's or the batch's idempotency key.</summary>
    internal const string IdempotencyKeyHeader = "Idempotency-Key";

    private readonly Uri _endpoint;
    private readonly byte[]? _secret;
    private readonly string? _secretText;
    private readonly string? _apiKey;
    private readonly string _apiKeyHeader;
    private readonly HttpTargetMode _mode;
    private readonly TimeSpan _timeout;
    private readonly JsonSerializerOptions _json;
    private readonly JsonWriterOptions _writerOptions;
    private readonly Func<HttpClient> _client;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Initializes a new instance of the <see cref="HttpTarget"/> class with a snapshot of <paramref name="options"/>.</summary>
    /// <param name="name">The target's name.</param>
    /// <param name="options">The settings; validated here too.</param>
    /// <param name="client">Gives the client for a request (<c>IHttpClientFactory.CreateClient(name)</c>); it must not follow redirects.</param>
    /// <param name="time">The clock: signature timestamps, timeouts, <c>Retry-After</c> dates.</param>
    /// <param name="logger">The logger.</param>
    /// <exception cref="OptionsValidationException">The settings are invalid.</exception>
    public HttpTarget(string name, HttpTargetOptions options, Func<HttpClient> client, TimeProvider time, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        var validation = new HttpTargetOptionsValidator().Validate(name, options);
        if (validation.Failed)
        {
            throw new OptionsValidationException(name, typeof(HttpTargetOptions), validation.Failures);
        }

        Name = name;
        _endpoint = options.Endpoint!;
        _secretText = options.SigningSecret;
        _secret = options.SigningSecret is { } secret ? Encoding.UTF8.GetBytes(secret) : null;
        _apiKey = options.ApiKey;
        _apiKeyHeader = options.ApiKeyHeader;
        _mode = options.Mode;
        _timeout = options.Timeout;
        _json = options.JsonSerializerOptions ?? JsonSerializerOptions.Web;
        _writerOptions = new JsonWriterOptions { Encoder = _json.Encoder, Indented = _json.WriteIndented };
        _client = client;
        _time = time;
        _logger = logger;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <inheritdoc />
    /// <remarks>Every record, an <see cref="EntityChange"/> too, is a record here; entity changes go through <see cref="DeliverAsync(DeliveryBatch{EntityChange}, CancellationToken)"/>.</remarks>
    public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
        => DeliverAsync(batch, RecordDocuments<T>.Instance, cancellationToken);

    private async ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, Documents<T> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        if (batch.Count == 0)
        {
            return DeliveryResult.Delivered;
        }

        return _mode == HttpTargetMode.PerRecord
            ? await DeliverEachAsync(batch, cancellationToken).ConfigureAwait(false)
            : await DeliverBatchAsync(batch, documents, splitOnFailure: true, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<DeliveryResult> DeliverBatchAsync<T>(DeliveryBatch<T> batch, Documents<T> documents, bool splitOnFailure, CancellationToken cancellationToken)
    {
        byte[] body;
        string key;
        try
        {
            key = BatchIdempotencyKey.Compute(batch);
            body = SerializeBatch(batch, documents, key);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return splitOnFailure
                ? await DeliverBuildableAsync(batch, documents, ex, cancellationToken).ConfigureAwait(false)
                : DeliveryResult.PermanentFailure(Redact($"HTTP target '{Name}': records of type {typeof(T).Name} cannot be serialized to JSON: {ex.GetType().Name}: {ex.Message}"));
        }

        var answer = await SendAsync(CreateRequest(body, key), batch.Count, readResults: true, cancellationToken).ConfigureAwait(false);
        return answer.Status switch
        {
            RecordStatus.Delivered when answer.Body.Length > 0 && answer.IsJson => ReadResults(batch, answer, _mode == HttpTargetMode.Documents ? documents.Ids(batch) : batch.GetRecordId),
            RecordStatus.Delivered => DeliveryResult.Delivered,
            RecordStatus.TransientFailure => DeliveryResult.TransientFailure(answer.Error!, answer.RetryAfter),
            _ => DeliveryResult.PermanentFailure(answer.Error!),
        };
    }

    /// <summary>
    /// A batch whose body cannot be built: each record that cannot be serialized (or whose id cannot be read) fails
    /// permanently, alone, and the others go out as a batch of their own, with its own key.
    /// </summary>
    private async ValueTask<DeliveryResult> DeliverBuildableAsync<T>(DeliveryBatch<T> batch, Documents<T> documents, Exception error, CancellationToken cancellationToken)
    {
        var outcomes = new RecordOutcome[batch.Count];
        var buildable = new List<int>(batch.Count);
        var scratch = new ArrayBufferWriter<byte>(256);
        for (var i = 0; i < batch.Count; i++)
        {
            try
            {
                scratch.ResetWrittenCount();
                using var writer = new Utf8JsonWriter(scratch, _writerOptions);
                if (_mode == HttpTargetMode.Documents)
                {
                    documents.Write(this, writer, batch.GetRecordId(i), batch.GetIdempotencyKey(i), batch.Records.Span[i]);
                }
                else
                {
                    WriteItem(writer, null, batch.GetRecordId(i), batch.GetIdempotencyKey(i), batch.Records.Span[i]);
                }

                buildable.Add(i);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                outcomes[i] = RecordOutcome.Permanent(Redact($"HTTP target '{Name}': record {RecordName.Of(batch, i)} cannot be serialized to JSON: {ex.GetType().Name}: {ex.Message}"));
            }
        }

        if (buildable.Count == 0 || buildable.Count == batch.Count)
        {
            // Every record, or none of them alone: the batch as a whole cannot be sent.
            return DeliveryResult.PermanentFailure(Redact($"HTTP target '{Name}': records of type {typeof(T).Name} cannot be serialized to JSON: {error.GetType().Name}: {error.Message}"));
        }

        var records = new T[buildable.Count];
        var ids = new string[buildable.Count];
        for (var k = 0; k < records.Length; k++)
        {
            records[k] = batch.Records.Span[buildable[k]];
            ids[k] = batch.GetRecordId(buildable[k]);
        }

        var rest = new DeliveryBatch<T>(batch.JobName, records, record => ids[IndexOf(records, record)], batch.Attempt);
        var result = await DeliverBatchAsync(rest, documents, splitOnFailure: false, cancellationToken).ConfigureAwait(false);
        if (result.BatchStatus == RecordStatus.TransientFailure)
        {
            // The call for the rest failed as a whole (endpoint down, timeout, 5xx, 429) and no record reached the
            // endpoint: an outage, told as one, so that it counts for the target's health. The unbuildable records
            // ride along transiently and fail alone at the first attempt that reaches the endpoint.
            return result;
        }

        for (var k = 0; k < buildable.Count; k++)
        {
            outcomes[buildable[k]] = result.GetOutcome(k);
        }

        return DeliveryResult.PerRecord(outcomes, result.RetryAfter);
    }

    /// <summary>Finds a record of the part of a batch that is sent: the same instance (a class) or an equal value (a struct, whose id the same selector gives).</summary>
    private static int IndexOf<T>(T[] records, T record)
    {
        for (var i = 0; i < records.Length; i++)
        {
            if (typeof(T).IsValueType ? EqualityComparer<T>.Default.Equals(records[i], record) : ReferenceEquals(records[i], record))
            {
                return i;
            }
        }

        throw new ArgumentException("The record is not part of the batch.", nameof(record));
    }

    private async ValueTask<DeliveryResult> DeliverEachAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
    {
        var outcomes = new RecordOutcome[batch.Count];
        var delivered = 0;
        var answered = 0;
        string? firstFailure = null;
        TimeSpan? retryAfter = null;
        string? notSent = null;
        var unavailableInARow = 0;
        for (var i = 0; i < outcomes.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (notSent is not null)
            {
                outcomes[i] = RecordOutcome.Transient(notSent);
                continue;
            }

            HttpRequestMessage request;
            try
            {
                var key = batch.GetIdempotencyKey(i);
                request = CreateRequest(SerializeRecord(batch, i, key), key);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // The request was never sent: this record's own fault (a payload that cannot be serialized, an id the
                // key selector cannot give), not the endpoint's, so it fails alone and the others still go out.
                outcomes[i] = RecordOutcome.Permanent(Redact($"HTTP target '{Name}': the request for record {RecordName.Of(batch, i)} cannot be built: {ex.GetType().Name}: {ex.Message}"));
                continue;
            }

            var answer = await SendAsync(request, 1, readResults: false, cancellationToken).ConfigureAwait(false);
            outcomes[i] = new RecordOutcome(answer.Status, answer.Error);
            delivered += answer.Status == RecordStatus.Delivered ? 1 : 0;
            if (answer.Status == RecordStatus.TransientFailure)
            {
                firstFailure ??= answer.Error;
            }
            else
            {
                answered++;
            }

            if (answer.RetryAfter is { } hint && (retryAfter is null || hint > retryAfter))
            {
                retryAfter = hint;
            }

            // The endpoint as a whole is down or throttling: asking it about the other records only burns time. A
            // refused connection, a timeout or a 429 says so at once; one 408/502-504 answer may concern this record alone
            // (a poison record the endpoint chokes on), so the next record is still asked and a second such answer in a
            // row stops the batch: one record never keeps the records behind it from going out.
            unavailableInARow = answer.EndpointUnavailable ? unavailableInARow + 1 : 0;
            if (answer.EndpointUnavailable && (answer.StatusCode is 0 or 429 || unavailableInARow >= 2))
            {
                notSent = $"HTTP target '{Name}': not sent, an earlier record of the batch failed ({answer.Error})";
            }
        }

        if (delivered == outcomes.Length)
        {
            return DeliveryResult.Delivered;
        }

        // Every request sent failed transiently (refused, timed out, 5xx, 429) and no record was delivered or rejected
        // on its own: nothing reached the endpoint, an outage, told as a failure of the whole call so that it counts
        // for the target's health. Records that could not be built ride along transiently and fail alone at the first
        // attempt that reaches the endpoint. One record that always answers 503 keeps per-record outcomes when another
        // record of its batch was answered (the records after it are still sent); alone in its batch it reads as one
        // failed call, but its retries never count, so it alone does not mark the target unhealthy.
        return answered == 0 && firstFailure is not null
            ? DeliveryResult.TransientFailure(firstFailure, retryAfter)
            : DeliveryResult.PerRecord(outcomes, retryAfter);
    }

    private byte[] SerializeBatch<T>(DeliveryBatch<T> batch, Documents<T> documents, string batchKey)
    {
        var buffer = new ArrayBufferWriter<byte>(Math.Min(batch.Count, 4096) * 128);
        using (var writer = new Utf8JsonWriter(buffer, _writerOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("job"u8, batch.JobName);
            writer.WriteString("idempotencyKey"u8, batchKey);
            var records = batch.Records.Span;
            if (_mode == HttpTargetMode.Documents)
            {
                writer.WriteStartArray("operations"u8);
                for (var i = 0; i < records.Length; i++)
                {
                    documents.Write(this, writer, batch.GetRecordId(i), batch.GetIdempotencyKey(i), records[i]);
                }
            }
            else
            {
                writer.WriteStartArray("records"u8);
                for (var i = 0; i < records.Length; i++)
                {
                    WriteItem(writer, null, batch.GetRecordId(i), batch.GetIdempotencyKey(i), records[i]);
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private byte[] SerializeRecord<T>(DeliveryBatch<T> batch, int index, string key)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, _writerOptions))
        {
            WriteItem(writer, batch.JobName, batch.GetRecordId(index), key, batch.Records.Span[index]);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private void WriteItem<T>(Utf8JsonWriter writer, string? job, string id, string key, T record)
    {
        writer.WriteStartObject();
        if (job is not null)
        {
            writer.WriteString("job"u8, job);
        }

        writer.WriteString("id"u8, id);
        writer.WriteString("idempotencyKey"u8, key);
        writer.WritePropertyName("record"u8);
        JsonSerializer.Serialize(writer, record, _json);
        writer.WriteEndObject();
    }

    /// <summary>Builds the signed POST of <paramref name="body"/>; the key comes from <see cref="IdempotencyKey"/>, one line of visible ASCII.</summary>
    private HttpRequestMessage CreateRequest(byte[] body, string idempotencyKey)
    {
        if (idempotencyKey.AsSpan().ContainsAnyExceptInRange('!', '~'))
        {
            throw new ArgumentException("The idempotency key is not one line of visible ASCII.", nameof(idempotencyKey));
        }

        var request = new HttpRequestMessage(HttpMethod.Post, _endpoint) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(IdempotencyKeyHeader, idempotencyKey);
        if (_apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation(_apiKeyHeader, _apiKey);
        }

        if (_secret is not null)
        {
            request.Headers.TryAddWithoutValidation(HttpTargetSignature.HeaderName, HttpTargetSignature.Create(_secret, body, _time.GetUtcNow()));
        }

        return request;
    }


    /// <summary>Sends <paramref name="message"/> (and disposes it) and reads what the endpoint answered.</summary>
    private async Task<Answer> SendAsync(HttpRequestMessage message, int records, bool readResults, CancellationToken cancellationToken)
    {
        using var request = message;
        using var timeout = new CancellationTokenSource(_timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var started = _time.GetTimestamp();
        Answer answer;
        try
        {
            using var response = await _client().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            answer = await ReadAnswerAsync(response, readResults, linked.Token).ConfigureAwait(false);
            HttpTargetLog.Answered(_logger, Name, answer.StatusCode, records, _time.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            answer = Answer.Unavailable($"HTTP target '{Name}': no complete answer within the timeout of {_timeout}");
        }
        catch (OperationCanceledException ex)
        {
            // HttpClient.Timeout of a client the host configured elapsed first.
            answer = Answer.Unavailable($"HTTP target '{Name}': the request was cancelled ({ex.InnerException?.Message ?? ex.Message})");
        }
        catch (HttpRequestException ex)
        {
            answer = Answer.Unavailable($"HTTP target '{Name}': the request failed ({ex.HttpRequestError}): {ex.Message}");
        }
        catch (IOException ex)
        {
            answer = Answer.Unavailable($"HTTP target '{Name}': the answer could not be read: {ex.Message}");
        }

        if (answer.Error is { } error)
        {
            answer = answer with { Error = Redact(error) };
            HttpTargetLog.Failed(_logger, Name, records, answer.Error!);
        }

        return answer;
    }

    /// <summary>Removes the signing secret from text the endpoint or an exception supplied, before it reaches a log or an error.</summary>
    private string Redact(string text)
    {
        if (_secretText is { Length: > 0 } secret)
        {
            text = text.Replace(secret, "***", StringComparison.Ordinal);
        }

        return _apiKey is { Length: > 0 } key ? text.Replace(key, "***", StringComparison.Ordinal) : text;
    }
}
