using System.Buffers;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Commerce.Jobs.Adapters;

/// <summary>Reading answers: status codes, <c>Retry-After</c>, error snippets and per-record result bodies.</summary>
internal sealed partial class HttpTarget
{
    /// <summary>The largest per-record result body read; a larger one counts as malformed.</summary>
    private const int MaxResultBytes = 16 * 1024 * 1024;

    /// <summary>How much of an error answer is read for the error text.</summary>
    private const int MaxErrorBytes = 4096;

    private const int MaxSnippetChars = 500;

    private async Task<Answer> ReadAnswerAsync(HttpResponseMessage response, bool readResults, CancellationToken cancellationToken)
    {
        var code = (int)response.StatusCode;
        var retryAfter = ReadRetryAfter(response.Headers.RetryAfter);
        if (code is >= 200 and <= 299)
        {
            if (!readResults)
            {
                return new Answer(RecordStatus.Delivered, code, null, retryAfter, [], false, false, false);
            }

            var (body, truncated) = await ReadBodyAsync(response.Content, MaxResultBytes, cancellationToken).ConfigureAwait(false);
            return new Answer(RecordStatus.Delivered, code, null, retryAfter, body, IsJson(response.Content.Headers.ContentType, body), truncated, false);
        }

        var snippet = await ReadSnippetAsync(response.Content, cancellationToken).ConfigureAwait(false);
        var error = $"HTTP target '{Name}' answered {code} {response.ReasonPhrase}".TrimEnd() + snippet;
        if (code is 408 or 429 or >= 500)
        {
            // 408, 429 and the gateway codes speak for the whole endpoint; a 500 may be one record's fault.
            return new Answer(RecordStatus.TransientFailure, code, error, retryAfter, [], false, false, code is 408 or 429 or 502 or 503 or 504);
        }

        if (code is >= 300 and <= 399)
        {
            error += " (redirects are not followed: set Endpoint to the final address)";
        }

        return new Answer(RecordStatus.PermanentFailure, code, error, null, [], false, false, false);
    }

    /// <summary>Turns <c>Retry-After</c> (seconds or an HTTP date, read against the injected clock) into a wait; never negative.</summary>
    private TimeSpan? ReadRetryAfter(RetryConditionHeaderValue? value)
    {
        if (value?.Delta is { } delta)
        {
            return delta > TimeSpan.Zero ? delta : TimeSpan.Zero;
        }

        if (value?.Date is { } date)
        {
            var wait = date - _time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    private static bool IsJson(MediaTypeHeaderValue? contentType, byte[] body)
    {
        if (contentType?.MediaType is { } mediaType)
        {
            return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
                || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
        }

        // No content type: a body that opens an object is read as JSON.
        var start = body.AsSpan().TrimStart(" \t\r\n"u8);
        return start.Length > 0 && start[0] == (byte)'{';
    }

    private static async Task<(byte[] Body, bool Truncated)> ReadBodyAsync(HttpContent content, int limit, CancellationToken cancellationToken)
    {
        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var body = new ArrayBufferWriter<byte>(Math.Min(limit + 1, 16 * 1024));
            while (true)
            {
                var room = limit + 1 - body.WrittenCount;
                var read = await stream.ReadAsync(body.GetMemory(Math.Min(room, 16 * 1024))[..Math.Min(room, 16 * 1024)], cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    return (body.WrittenSpan.ToArray(), false);
                }

                body.Advance(read);
                if (body.WrittenCount > limit)
                {
                    return (body.WrittenSpan[..limit].ToArray(), true);
                }
            }
        }
    }

    /// <summary>Reads the start of an error answer as <c>": text"</c>, whitespace collapsed; empty when there is none or it cannot be read.</summary>
    private static async Task<string> ReadSnippetAsync(HttpContent content, CancellationToken cancellationToken)
    {
        byte[] body;
        try
        {
            (body, _) = await ReadBodyAsync(content, MaxErrorBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return string.Empty;
        }

        var text = string.Join(' ', Encoding.UTF8.GetString(body).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (text.Length == 0)
        {
            return string.Empty;
        }

        return text.Length > MaxSnippetChars ? $": {text[..MaxSnippetChars]}…" : $": {text}";
    }

    /// <summary>
    /// Reads <c>{"results":[{"id":"..","status":"delivered|transient|permanent","error":".."}]}</c> from a 2xx answer.
    /// A body without <c>results</c> means every record was delivered; a <c>results</c> that cannot be read fails the batch transiently.
    /// </summary>
    private DeliveryResult ReadResults<T>(DeliveryBatch<T> batch, Answer answer, Func<int, string> resultId)
    {
        if (answer.Truncated)
        {
            return Malformed(answer, $"the body is larger than {MaxResultBytes} bytes");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(answer.Body);
        }
        catch (JsonException ex)
        {
            return Malformed(answer, ex.Message);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object || !TryGetProperty(document.RootElement, "results", out var results))
            {
                return DeliveryResult.Delivered;
            }

            if (results.ValueKind != JsonValueKind.Array)
            {
                return Malformed(answer, "\"results\" is not an array");
            }

            var byId = new Dictionary<string, RecordOutcome>(StringComparer.Ordinal);
            foreach (var result in results.EnumerateArray())
            {
                if (result.ValueKind != JsonValueKind.Object)
                {
                    return Malformed(answer, "an entry of \"results\" is not an object");
                }

                if (!TryGetProperty(result, "id", out var idElement) || idElement.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
                {
                    return Malformed(answer, "an entry of \"results\" has no \"id\"");
                }

                var id = idElement.ValueKind == JsonValueKind.String ? idElement.GetString()! : idElement.GetRawText();
                var error = TryGetProperty(result, "error", out var errorElement) && errorElement.ValueKind == JsonValueKind.String
                    ? Cap(errorElement.GetString()!)
                    : null;
                var status = TryGetProperty(result, "status", out var statusElement) && statusElement.ValueKind == JsonValueKind.String
                    ? statusElement.GetString()
                    : null;
                byId[id] = status?.ToUpperInvariant() switch
                {
                    "DELIVERED" => RecordOutcome.Delivered,
                    "TRANSIENT" => RecordOutcome.Transient(Redact(error ?? $"HTTP target '{Name}' could not take record '{id}' now")),
                    "PERMANENT" => RecordOutcome.Permanent(Redact(error ?? $"HTTP target '{Name}' rejected record '{id}'")),
                    _ => RecordOutcome.Transient(Redact($"HTTP target '{Name}' answered an unknown status '{Cap(status ?? "(none)")}' for record '{id}'")),
                };
            }

            var outcomes = new RecordOutcome[batch.Count];
            var delivered = 0;
            for (var i = 0; i < outcomes.Length; i++)
            {
                var id = resultId(i);
                outcomes[i] = byId.TryGetValue(id, out var outcome)
                    ? outcome
                    : RecordOutcome.Transient(Redact($"HTTP target '{Name}' answered {answer.StatusCode} without a result for record '{id}'"));
                delivered += outcomes[i].Status == RecordStatus.Delivered ? 1 : 0;
            }

            return delivered == outcomes.Length ? DeliveryResult.Delivered : DeliveryResult.PerRecord(outcomes, answer.RetryAfter);
        }
    }

    private DeliveryResult Malformed(Answer answer, string detail)
    {
        var error = Redact($"HTTP target '{Name}' answered {answer.StatusCode} with a malformed per-record body: {Cap(detail)}");
        HttpTargetLog.Failed(_logger, Name, 0, error);
        return DeliveryResult.TransientFailure(error, answer.RetryAfter);
    }

    private static bool TryGetProperty(JsonElement element, string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (property.NameEquals(name) || string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    private static string Cap(string text) => text.Length > 1000 ? string.Concat(text.AsSpan(0, 1000), "…") : text;

    /// <summary>What one request came to.</summary>
    /// <param name="Status">Delivered (2xx), transient or permanent.</param>
    /// <param name="StatusCode">The HTTP status, 0 when there was no answer.</param>
    /// <param name="Error">The error text, redacted, when it failed.</param>
    /// <param name="RetryAfter">The endpoint's <c>Retry-After</c>.</param>
    /// <param name="Body">The body of a 2xx answer, when results were asked for.</param>
    /// <param name="IsJson">Whether the body is JSON.</param>
    /// <param name="Truncated">Whether the body was cut at the limit.</param>
    /// <param name="EndpointUnavailable">Whether the failure concerns the endpoint, not one record (timeout, network, 408, 429, 502-504).</param>
    private readonly record struct Answer(RecordStatus Status, int StatusCode, string? Error, TimeSpan? RetryAfter, byte[] Body, bool IsJson, bool Truncated, bool EndpointUnavailable)
    {
        public static Answer Unavailable(string error) => new(RecordStatus.TransientFailure, 0, error, null, [], false, false, true);
    }
}
