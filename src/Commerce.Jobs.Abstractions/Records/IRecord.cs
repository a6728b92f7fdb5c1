namespace Commerce.Jobs;

/// <summary>A record that knows its own stable id.</summary>
/// <remarks>
/// Record jobs need a stable id per record (for status reports, skip bookkeeping and idempotency keys).
/// Implement this interface on the record type, or give the job a key selector with <c>WithKey</c>.
/// </remarks>
public interface IRecord
{
    /// <summary>Gets the record's stable id (an order number).</summary>
    string RecordId { get; }
}
