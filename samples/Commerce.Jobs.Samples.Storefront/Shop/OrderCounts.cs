namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>
/// The cart's orders by status: those placed by this run (placed = submitted + pending + failed), and apart, the orders a
/// previous run placed that the order-submit job reported on in this run (resumed from the job store after a stop or a
/// hard kill; resumed = their submitted + pending + failed).
/// </summary>
/// <param name="Placed">Orders placed by this run (in the job store, and counted, once the inbox took them).</param>
/// <param name="Submitted">Orders of this run the ERP accepted.</param>
/// <param name="Pending">Orders of this run not submitted yet (new, or skipped after their retries).</param>
/// <param name="Failed">Orders of this run the ERP rejected as invalid (ExportFailed).</param>
/// <param name="Shipped">Orders of this run the WMS confirmed as shipped.</param>
public readonly record struct OrderCounts(int Placed, int Submitted, int Pending, int Failed, int Shipped)
{
    /// <summary>Gets how many orders of a previous run the order-submit job reported on in this run.</summary>
    public int Resumed { get; init; }

    /// <summary>Gets how many of the resumed orders the ERP accepted.</summary>
    public int ResumedSubmitted { get; init; }

    /// <summary>Gets how many of the resumed orders were skipped on their last attempt (still pending in the job store).</summary>
    public int ResumedPending { get; init; }

    /// <summary>Gets how many of the resumed orders the ERP rejected as invalid (ExportFailed; kept failed in the job store for a resubmit).</summary>
    public int ResumedFailed { get; init; }

    /// <summary>Gets how many of the resumed orders the WMS confirmed as shipped.</summary>
    public int ResumedShipped { get; init; }

    /// <inheritdoc />
    public override string ToString()
    {
        var text = $"orders placed {Placed}, submitted {Submitted}, pending {Pending}, failed (invalid) {Failed}, shipped {Shipped}";
        return Resumed == 0
            ? text
            : $"{text}; resumed from a previous run {Resumed}: submitted {ResumedSubmitted}, pending {ResumedPending}, failed (invalid) {ResumedFailed}, shipped {ResumedShipped}";
    }
}
