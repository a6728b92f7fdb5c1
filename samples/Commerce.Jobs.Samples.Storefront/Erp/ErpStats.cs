namespace Commerce.Jobs.Samples.Storefront.Erp;

/// <summary>What the simulated ERP saw.</summary>
/// <param name="Calls">HTTP calls received.</param>
/// <param name="ServerErrors">Calls answered 500 before doing anything.</param>
/// <param name="Throttled">Calls answered 429 with a Retry-After.</param>
/// <param name="LostAnswers">Calls processed whose answer was lost (504): the caller retries, and the idempotency key catches the duplicate.</param>
/// <param name="OrdersAccepted">Distinct orders accepted.</param>
/// <param name="OrdersRejected">Orders rejected as invalid (each attempt counts).</param>
/// <param name="Duplicates">Orders received again after being accepted, recognised by their idempotency key and not booked twice.</param>
public sealed record ErpStats(long Calls, long ServerErrors, long Throttled, long LostAnswers, long OrdersAccepted, long OrdersRejected, long Duplicates)
{
    /// <inheritdoc />
    public override string ToString()
        => $"{Calls} calls (answered 500: {ServerErrors}, 429 + Retry-After: {Throttled}, answer lost (504): {LostAnswers}); " +
           $"orders accepted {OrdersAccepted}, rejections {OrdersRejected}, duplicates caught by Idempotency-Key {Duplicates}";
}
