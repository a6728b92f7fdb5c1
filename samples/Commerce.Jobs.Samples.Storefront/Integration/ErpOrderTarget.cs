using System.Net;
using System.Net.Http.Json;
using Commerce.Jobs.Samples.Storefront.Erp;
using Commerce.Jobs.Samples.Storefront.Shop;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>
/// Delivers a batch of orders to the ERP: one <c>POST /orders</c> with the batch as a JSON array, and the ERP's
/// per-order answers mapped to per-record outcomes. A typed <see cref="HttpClient"/> (registered with
/// <c>AddHttpClient&lt;ErpOrderTarget&gt;</c>).
/// </summary>
/// <remarks>
/// How an answer maps to a <see cref="DeliveryResult"/>:
/// <list type="bullet">
/// <item>2xx: per order, <c>accepted</c> → delivered, <c>rejected</c> → permanent failure (invalid; not retried, reported ExportFailed);</item>
/// <item>429, 408 and 5xx: transient failure of the batch, with the ERP's Retry-After (the job retries it within its window);</item>
/// <item>network errors and timeouts: transient failure;</item>
/// <item>any other status: permanent failure of the batch (the request itself is wrong; retrying will not help).</item>
/// </list>
/// Every order carries the job's idempotency key, so a retry of a call whose answer was lost is not booked twice.
/// </remarks>
public sealed class ErpOrderTarget(HttpClient http, ILogger<ErpOrderTarget> logger) : IDeliveryTarget<Order>
{
    /// <inheritdoc />
    public async ValueTask<DeliveryResult> DeliverAsync(DeliveryBatch<Order> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var body = new ErpOrder[batch.Count];
        for (var i = 0; i < batch.Count; i++)
        {
            var order = batch.Records.Span[i];
            body[i] = new ErpOrder(
                batch.GetIdempotencyKey(i),
                order.Number,
                order.CustomerId,
                order.PlacedAt,
                order.PostalCode,
                [.. order.Lines.Select(l => new ErpOrderLine(l.Sku, l.Quantity, l.UnitPrice))]);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.PostAsJsonAsync("orders", body, ErpJson.Default.ErpOrderArray, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return Transient(batch, $"ERP unreachable: {ex.Message}", null);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Transient(batch, $"ERP did not answer within {http.Timeout.TotalSeconds:0} s", null);
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || status >= 500)
            {
                return Transient(batch, $"ERP answered {status} {response.ReasonPhrase}", RetryAfter(response));
            }

            if (!response.IsSuccessStatusCode)
            {
                var error = await response.Content.ReadAsStringAsync(cancellationToken);
                return DeliveryResult.PermanentFailure($"ERP refused the batch: {status} {response.ReasonPhrase} {error}");
            }

            var answers = await response.Content.ReadFromJsonAsync(ErpJson.Default.ErpOrderResultArray, cancellationToken) ?? [];
            var byNumber = answers.ToDictionary(a => a.OrderNumber, StringComparer.Ordinal);
            var outcomes = new RecordOutcome[batch.Count];
            for (var i = 0; i < batch.Count; i++)
            {
                outcomes[i] = byNumber.TryGetValue(batch.GetRecordId(i), out var answer)
                    ? answer.Status == ErpOrderResult.Accepted ? RecordOutcome.Delivered : RecordOutcome.Permanent(answer.Error ?? "rejected by the ERP")
                    : RecordOutcome.Transient("the ERP's answer did not mention this order");
            }

            if (batch.Attempt > 0)
            {
                logger.LogInformation("ERP answered {Orders} on retry {Attempt}", Orders(batch.Count), batch.Attempt);
            }

            return DeliveryResult.PerRecord(outcomes);
        }
    }

    private DeliveryResult Transient(DeliveryBatch<Order> batch, string error, TimeSpan? retryAfter)
    {
        logger.LogInformation(
            "Sending {Orders}, attempt {Attempt}: {Error}{RetryAfter}",
            Orders(batch.Count),
            batch.Attempt + 1,
            error,
            retryAfter is { } wait ? $" (Retry-After {wait.TotalSeconds:0} s)" : string.Empty);
        return DeliveryResult.TransientFailure(error, retryAfter);
    }

    private static string Orders(int count) => count == 1 ? "1 order" : $"{count} orders";

    private static TimeSpan? RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - DateTimeOffset.UtcNow,
        _ => null,
    };
}
