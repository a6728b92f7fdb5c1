namespace Commerce.Jobs;

/// <summary>The severity of a line in a run's log.</summary>
public enum JobLogLevel
{
    /// <summary>Progress worth keeping.</summary>
    Information,

    /// <summary>Something went wrong but the run carried on.</summary>
    Warning,

    /// <summary>Something failed.</summary>
    Error,
}
