namespace Commerce.Jobs;

/// <summary>The outcome of one run as the job reports it.</summary>
/// <remarks>Use the static factories; <see cref="Success"/> is a cached instance.</remarks>
public sealed class JobResult
{
    private JobResult(JobOutcome outcome, string? error, object? value, RecordCounts counts)
    {
        Outcome = outcome;
        Error = error;
        Value = value;
        Counts = counts;
    }

    /// <summary>Gets a cached result for a run that succeeded and returns no value.</summary>
    public static JobResult Success { get; } = new(JobOutcome.Succeeded, null, null, default);

    /// <summary>Gets how the run ended.</summary>
    public JobOutcome Outcome { get; }

    /// <summary>Gets the error that made the run fail or only partially succeed, if any.</summary>
    public string? Error { get; }

    /// <summary>Gets the value an on-demand run returns to its caller (for example an order history), if any.</summary>
    public object? Value { get; }

    /// <summary>Gets the record counts of a record job's run; all zero for a plain job.</summary>
    public RecordCounts Counts { get; }

    /// <summary>Creates a successful result carrying <paramref name="value"/>.</summary>
    /// <param name="value">The value returned to an awaiting caller.</param>
    /// <returns>The result.</returns>
    public static JobResult Succeeded(object? value) => value is null ? Success : new(JobOutcome.Succeeded, null, value, default);

    /// <summary>Creates a failed result.</summary>
    /// <param name="error">What went wrong, in words an administrator understands.</param>
    /// <returns>The result.</returns>
    public static JobResult Failed(string error)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new(JobOutcome.Failed, error, null, default);
    }

    /// <summary>Creates a result for a run that did part of its work.</summary>
    /// <param name="error">What was not done.</param>
    /// <returns>The result.</returns>
    public static JobResult PartiallySucceeded(string error)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(error);
        return new(JobOutcome.PartiallySucceeded, error, null, default);
    }

    /// <summary>Creates a result with every field given.</summary>
    /// <param name="outcome">How the run ended.</param>
    /// <param name="error">The error, if any.</param>
    /// <param name="value">The value for an awaiting caller, if any.</param>
    /// <param name="counts">The record counts.</param>
    /// <returns>The result.</returns>
    public static JobResult Create(JobOutcome outcome, string? error, object? value, RecordCounts counts) => new(outcome, error, value, counts);

    /// <inheritdoc />
    public override string ToString() => Error is null ? Outcome.ToString() : $"{Outcome}: {Error}";
}
