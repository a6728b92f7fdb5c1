namespace Commerce.Jobs;

/// <summary>What a delivery target says about a batch: all delivered, all failed, or an outcome per record.</summary>
public sealed class DeliveryResult
{
    private readonly RecordOutcome[]? _outcomes;

    private DeliveryResult(RecordStatus? status, string? error, RecordOutcome[]? outcomes, TimeSpan? retryAfter)
    {
        BatchStatus = status;
        Error = error;
        _outcomes = outcomes;
        RetryAfter = retryAfter;
    }

    /// <summary>Gets the cached result for a batch whose every record was delivered.</summary>
    public static DeliveryResult Delivered { get; } = new(RecordStatus.Delivered, null, null, null);

    /// <summary>Gets the status shared by every record of the batch, or <see langword="null"/> when each record has its own.</summary>
    public RecordStatus? BatchStatus { get; }

    /// <summary>Gets the error shared by the batch, if any.</summary>
    public string? Error { get; }

    /// <summary>Gets the target's hint of how long to wait before retrying (<c>Retry-After</c>), if any.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Gets the per-record outcomes, empty when <see cref="BatchStatus"/> applies to all.</summary>
    public ReadOnlyMemory<RecordOutcome> Outcomes => _outcomes;

    /// <summary>Creates the result of a batch that failed as a whole for a reason that may pass.</summary>
    /// <param name="error">Why.</param>
    /// <param name="retryAfter">The target's hint of how long to wait, if it gave one.</param>
    /// <returns>The result.</returns>
    public static DeliveryResult TransientFailure(string error, TimeSpan? retryAfter = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new(RecordStatus.TransientFailure, error, null, retryAfter);
    }

    /// <summary>Creates the result of a batch the target rejected as a whole.</summary>
    /// <param name="error">Why.</param>
    /// <returns>The result.</returns>
    public static DeliveryResult PermanentFailure(string error)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new(RecordStatus.PermanentFailure, error, null, null);
    }

    /// <summary>Creates a result with one outcome per record, in the batch's order.</summary>
    /// <param name="outcomes">The outcomes; as many as the batch has records.</param>
    /// <param name="retryAfter">The target's hint of how long to wait before retrying the failed ones, if any.</param>
    /// <returns>The result.</returns>
    public static DeliveryResult PerRecord(RecordOutcome[] outcomes, TimeSpan? retryAfter = null)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        foreach (var outcome in outcomes)
        {
            if (outcome.Status == RecordStatus.Skipped)
            {
                throw new ArgumentException("A target answers Delivered, TransientFailure or PermanentFailure; Skipped is decided by the runner.", nameof(outcomes));
            }
        }

        return new(null, null, outcomes, retryAfter);
    }

    /// <summary>Gets the outcome of the record at <paramref name="index"/>.</summary>
    /// <param name="index">The record's index in the batch.</param>
    /// <returns>The outcome.</returns>
    public RecordOutcome GetOutcome(int index) => BatchStatus is { } status
        ? new RecordOutcome(status, Error)
        : _outcomes![index];
}
