namespace Commerce.Jobs;

/// <summary>What a record job asks its source for.</summary>
public sealed class RecordQuery
{
    /// <summary>Gets the job reading.</summary>
    public required string JobName { get; init; }

    /// <summary>Gets what started the run.</summary>
    public required TriggerKind Trigger { get; init; }

    /// <summary>Gets the oldest record to return (from the job's <c>MaxAge</c>, "maximum number of days to export"), or <see langword="null"/> for no limit.</summary>
    public DateTimeOffset? NotBefore { get; init; }

    /// <summary>
    /// Gets a value indicating whether records that failed permanently before are wanted again
    /// (a resubmit run). Pending and skipped records are always wanted.
    /// </summary>
    public bool IncludeFailed { get; init; }
}
