using System.Text.Json;
using System.Text.Json.Serialization;

namespace Commerce.Jobs.Samples.Storefront.Erp;

// The ERP/WMS's HTTP API, as its documentation would describe it. The simulated ERP serves it; the adapters call it.

/// <summary>An order as <c>POST /orders</c> takes it (the body is a JSON array: one batch).</summary>
/// <param name="IdempotencyKey">A key the ERP uses to recognise an order it already has (a retried call whose answer was lost).</param>
public sealed record ErpOrder(string IdempotencyKey, string OrderNumber, string CustomerId, DateTimeOffset OrderDate, string ShipToPostalCode, IReadOnlyList<ErpOrderLine> Lines);

/// <summary>An order line as the ERP takes it.</summary>
public sealed record ErpOrderLine(string ItemNumber, int Quantity, decimal UnitPrice);

/// <summary>The ERP's answer for one order of a batch: <c>accepted</c> or <c>rejected</c> (invalid, with the reason).</summary>
public sealed record ErpOrderResult(string OrderNumber, string Status, string? Error = null, bool Duplicate = false)
{
    /// <summary>The status of an order the ERP took.</summary>
    public const string Accepted = "accepted";

    /// <summary>The status of an order the ERP refused as invalid; sending it again does not help.</summary>
    public const string Rejected = "rejected";
}

/// <summary>An order in a customer's history (<c>GET /orders?customerId=</c>).</summary>
public sealed record ErpOrderSummary(string OrderNumber, DateTimeOffset OrderDate, decimal Total, string Status);

/// <summary>A shipment confirmation (<c>GET /shipments?after=</c>).</summary>
public sealed record ErpShipment(long Sequence, string OrderNumber, string TrackingNumber, DateTimeOffset ShippedAt);

/// <summary>A stock level that changed in the warehouse (<c>GET /inventory?after=</c>).</summary>
public sealed record ErpStockLevel(long Sequence, string ItemNumber, int OnHand);

/// <summary>The JSON (web defaults: camelCase) of the ERP API, source-generated.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ErpOrder[]))]
[JsonSerializable(typeof(ErpOrderResult[]))]
[JsonSerializable(typeof(ErpOrderSummary[]))]
[JsonSerializable(typeof(ErpShipment[]))]
[JsonSerializable(typeof(ErpStockLevel[]))]
public sealed partial class ErpJson : JsonSerializerContext;
