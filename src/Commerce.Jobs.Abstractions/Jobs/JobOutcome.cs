namespace Commerce.Jobs;

/// <summary>How a run ended.</summary>
public enum JobOutcome
{
    /// <summary>Everything the run set out to do was done.</summary>
    Succeeded,

    /// <summary>The run finished, but some records were skipped or failed permanently.</summary>
    PartiallySucceeded,

    /// <summary>The run failed: the job threw, reported failure, or skipped more records than allowed.</summary>
    Failed,

    /// <summary>The run was cancelled (host shutdown past its grace period, or an awaited run timed out).</summary>
    Cancelled,
}
