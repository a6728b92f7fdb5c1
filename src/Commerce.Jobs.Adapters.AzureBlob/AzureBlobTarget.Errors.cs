using Commerce.Jobs.Internal;
using System.Globalization;
using Azure;
using Azure.Storage.Blobs.Models;

namespace Commerce.Jobs.Adapters.AzureBlob;

/// <summary>Mapping failures to outcomes: status codes, <c>Retry-After</c>, network errors and timeouts.</summary>
internal sealed partial class AzureBlobTarget
{

    /// <summary>Maps a failure of a request to the batch's outcome, or returns <see langword="null"/> for an exception that is a bug.</summary>
    /// <param name="exception">What the request threw.</param>
    /// <param name="timedOut">Whether the target's own timeout elapsed.</param>
    private DeliveryResult? TryClassify(Exception exception, bool timedOut)
    {
        switch (exception)
        {
            case AggregateException { InnerExceptions.Count: > 0 } aggregate:
                return TryClassify(aggregate.InnerExceptions[^1], timedOut);
            case RequestFailedException failed:
                return Classify(failed);
            case OperationCanceledException when timedOut:
                return DeliveryResult.TransientFailure($"Azure Blob target '{Name}': no answer from container '{_container.Name}' within the timeout of {_timeout}");
            case OperationCanceledException ex:
                // The SDK's network timeout elapsed.
                return DeliveryResult.TransientFailure(ErrorText.Redact($"Azure Blob target '{Name}': the request to container '{_container.Name}' was cancelled ({ex.Message})", _secrets));
            case HttpRequestException or IOException:
                return DeliveryResult.TransientFailure(ErrorText.Redact($"Azure Blob target '{Name}': the request to container '{_container.Name}' failed: {exception.Message}", _secrets));
            default:
                return null;
        }
    }

    private DeliveryResult Classify(RequestFailedException ex)
    {
        var status = ex.Status;
        if (status == 0)
        {
            // No answer: the SDK wraps network errors in a RequestFailedException with status 0.
            return DeliveryResult.TransientFailure(ErrorText.Redact($"Azure Blob target '{Name}': the request to container '{_container.Name}' failed: {ErrorText.Quote(ex.InnerException?.Message ?? ex.Message, _secrets)}", _secrets));
        }

        var error = ErrorText.Redact($"Azure Blob target '{Name}': container '{_container.Name}' answered {status} {ex.ErrorCode}".TrimEnd() + $": {ErrorText.Quote(ex.Message, _secrets)}", _secrets);
        if (status is 408 or 429 or >= 500)
        {
            return DeliveryResult.TransientFailure(error, ReadRetryAfter(ex.GetRawResponse()));
        }

        if (ex.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            error += " (create the container, or set CreateContainer = true)";
        }

        return DeliveryResult.PermanentFailure(error);
    }

    /// <summary>Reads <c>retry-after-ms</c>, <c>x-ms-retry-after-ms</c> or <c>Retry-After</c> (seconds or an HTTP date, against the injected clock).</summary>
    private TimeSpan? ReadRetryAfter(Response? response)
    {
        if (response is null)
        {
            return null;
        }

        foreach (var header in (ReadOnlySpan<string>)["retry-after-ms", "x-ms-retry-after-ms"])
        {
            if (response.Headers.TryGetValue(header, out var ms) && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
            {
                return TimeSpan.FromMilliseconds(Math.Min(milliseconds, TimeSpan.FromDays(1).TotalMilliseconds));
            }
        }

        if (!response.Headers.TryGetValue("Retry-After", out var value) || string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (DateTimeOffset.TryParseExact(value.Trim(), "r", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var date))
        {
            var wait = date - _time.GetUtcNow();
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }
}
