namespace Commerce.Jobs;

/// <summary>What started a run: each call that starts one records its own kind.</summary>
public enum TriggerKind
{
    /// <summary>A timed schedule fired (interval, daily time or cron).</summary>
    Schedule,

    /// <summary>Someone ran the job by hand with <see cref="IJobTrigger.Trigger"/> (an admin's "Run now"); coalesced.</summary>
    Manual,

    /// <summary>The host signalled that data is available with <see cref="IJobTrigger.Signal"/> (automatic schedule); coalesced.</summary>
    Automatic,

    /// <summary>A cleanup run of an automatic job, retrying records that failed before.</summary>
    Cleanup,

    /// <summary>Another job, which this job runs after, completed.</summary>
    After,

    /// <summary>An awaited on-demand run (<see cref="IJobRunner.RunAsync"/>).</summary>
    OnDemand,

    /// <summary>A run that re-offers every pending, skipped and failed record of a record job (<see cref="IJobTrigger.Resubmit"/>).</summary>
    Resubmit,

    /// <summary>
    /// A run queued with its id by <see cref="IJobRunner.Enqueue"/> or <see cref="IJobRunner.EnqueueAsync"/>; never
    /// coalesced.
    /// </summary>
    Queued,
}
