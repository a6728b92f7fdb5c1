using System.Runtime.CompilerServices;
using Commerce.Jobs.Samples.Storefront.Shop;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>
/// The orders the ERP accepted since the last export: the order-export job's source (<c>ReadFrom&lt;SubmittedOrders&gt;()</c>).
/// </summary>
/// <remarks>
/// The export leaves order statuses alone (<c>WithoutStatusUpdates()</c>), so no status sink tells this source what was
/// written: it hands each order out once. A real host would read "accepted after the last export's watermark" from
/// its database; the file export target writes each batch atomically, with <c>CreateFolder</c> it rarely fails.
/// </remarks>
public sealed class SubmittedOrders(Cart cart) : IRecordSource<SubmittedOrder>
{
    /// <inheritdoc />
    public async IAsyncEnumerable<SubmittedOrder> ReadAsync(RecordQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && cart.TakeForExport() is { } order)
        {
            yield return order;
        }

        await Task.CompletedTask;
    }
}
