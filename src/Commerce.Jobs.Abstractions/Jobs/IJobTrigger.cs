namespace Commerce.Jobs;

/// <summary>Starts jobs by name: signals that data is available, or triggers a run by hand.</summary>
/// <remarks>
/// Triggers never run a job twice at once: a trigger that arrives while the job runs is coalesced
/// into one follow-up run, never lost and never doubled.
/// </remarks>
public interface IJobTrigger
{
    /// <summary>Signals that data is available for an automatic job (an order was placed).</summary>
    /// <param name="jobName">The job's name.</param>
    /// <remarks>Cheap and non-blocking; a signal to a disabled job is ignored, one to a paused job is held until it resumes.</remarks>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    void Signal(string jobName);

    /// <summary>Triggers a manual run of a job.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="InvalidOperationException">The job is disabled.</exception>
    void Trigger(string jobName);

    /// <summary>Triggers a manual run of a record job that re-offers every pending, skipped and failed record ("Resubmit All Orders").</summary>
    /// <param name="jobName">The record job's name.</param>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="InvalidOperationException">The job is disabled.</exception>
    void Resubmit(string jobName);
}
