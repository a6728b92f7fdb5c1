namespace Commerce.Jobs.Storage;

/// <summary>An entity change held for a target, as claimed from the store.</summary>
/// <param name="Change">The change (its payload as the store read it back).</param>
/// <param name="Sequence">The store's sequence number of this write of the held change (claims read in this order).</param>
/// <param name="Repair">Whether it is a repair (may be delivered again at the delivered version, never below).</param>
/// <param name="Attempts">How many deliveries of it were skipped before.</param>
/// <param name="LastError">The error of the last skipped delivery, if any.</param>
public sealed record HeldEntityChange(EntityChange Change, long Sequence, bool Repair = false, int Attempts = 0, string? LastError = null);
