namespace Commerce.Jobs;

/// <summary>What started a run.</summary>
public enum TriggerKind
{
    /// <summary>A timed schedule fired (interval, daily time or cron).</summary>
    Schedule,

    /// <summary>Someone triggered the job by name.</summary>
    Manual,

    /// <summary>The host signalled that data is available (automatic schedule).</summary>
    Automatic,

    /// <summary>A cleanup run of an automatic job, retrying records that failed before.</summary>
    Cleanup,

    /// <summary>Another job, which this job runs after, completed.</summary>
    After,

    /// <summary>An awaited on-demand run (<see cref="IJobRunner.RunAsync"/>).</summary>
    OnDemand,

    /// <summary>A manual run that re-offers every pending, skipped and failed record of a record job.</summary>
    Resubmit,
}
