namespace Commerce.Jobs;

/// <summary>The outcome of one record, with the error when it failed.</summary>
/// <param name="Status">The outcome.</param>
/// <param name="Error">Why it failed, if it did.</param>
public readonly record struct RecordOutcome(RecordStatus Status, string? Error = null)
{
    /// <summary>Gets the outcome of a delivered record.</summary>
    public static RecordOutcome Delivered => default;

    /// <summary>Creates the outcome of a record whose delivery failed transiently.</summary>
    /// <param name="error">Why.</param>
    /// <returns>The outcome.</returns>
    public static RecordOutcome Transient(string error) => new(RecordStatus.TransientFailure, error);

    /// <summary>Creates the outcome of a record the target rejected permanently.</summary>
    /// <param name="error">Why.</param>
    /// <returns>The outcome.</returns>
    public static RecordOutcome Permanent(string error) => new(RecordStatus.PermanentFailure, error);
}
