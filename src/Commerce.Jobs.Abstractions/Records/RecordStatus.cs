namespace Commerce.Jobs;

/// <summary>The outcome of one record.</summary>
/// <remarks>
/// A delivery target answers <see cref="Delivered"/>, <see cref="TransientFailure"/> or <see cref="PermanentFailure"/>.
/// A status sink is told the record's final outcome for the run: <see cref="Delivered"/>,
/// <see cref="PermanentFailure"/> or <see cref="Skipped"/>.
/// </remarks>
public enum RecordStatus
{
    /// <summary>The target accepted the record.</summary>
    Delivered,

    /// <summary>Delivery failed for a reason that may pass (timeout, 503, throttling): worth retrying.</summary>
    TransientFailure,

    /// <summary>The target rejected the record as invalid: retrying will not help.</summary>
    PermanentFailure,

    /// <summary>The record still failed after its retries: it stays pending and is offered again on a later run.</summary>
    Skipped,
}
