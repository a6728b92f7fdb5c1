namespace Commerce.Jobs;

/// <summary>When a job scheduled <see cref="Schedule.After"/> another job runs.</summary>
public enum AfterCondition
{
    /// <summary>Only after the other job succeeded (the default).</summary>
    Success,

    /// <summary>After the other job ended, whatever its outcome (cancelled runs excluded).</summary>
    AnyOutcome,
}
