using System.Globalization;
using System.Net.Http.Json;
using Commerce.Jobs.Samples.Storefront.Erp;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>The ERP/WMS's read API: shipments, stock levels and order history. A typed <see cref="HttpClient"/>.</summary>
/// <remarks>Throws <see cref="HttpRequestException"/> when the ERP answers an error or cannot be reached.</remarks>
public sealed class ErpClient(HttpClient http)
{
    /// <summary>Gets the shipments confirmed after a sequence number.</summary>
    /// <param name="after">The last sequence number already applied.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The shipments, oldest first.</returns>
    public async Task<ErpShipment[]> GetShipmentsAsync(long after, CancellationToken cancellationToken)
        => await http.GetFromJsonAsync(string.Create(CultureInfo.InvariantCulture, $"shipments?after={after}"), ErpJson.Default.ErpShipmentArray, cancellationToken) ?? [];

    /// <summary>Gets the stock levels changed after a sequence number.</summary>
    /// <param name="after">The last sequence number already applied.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The levels, oldest change first.</returns>
    public async Task<ErpStockLevel[]> GetStockChangesAsync(long after, CancellationToken cancellationToken)
        => await http.GetFromJsonAsync(string.Create(CultureInfo.InvariantCulture, $"inventory?after={after}"), ErpJson.Default.ErpStockLevelArray, cancellationToken) ?? [];

    /// <summary>Gets a customer's orders, newest first.</summary>
    /// <param name="customerId">The customer.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The orders.</returns>
    public async Task<ErpOrderSummary[]> GetOrderHistoryAsync(string customerId, CancellationToken cancellationToken)
        => await http.GetFromJsonAsync($"orders?customerId={Uri.EscapeDataString(customerId)}", ErpJson.Default.ErpOrderSummaryArray, cancellationToken) ?? [];
}
