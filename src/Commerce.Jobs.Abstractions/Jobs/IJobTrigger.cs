namespace Commerce.Jobs;

/// <summary>Starts jobs by name, fire-and-forget: signals that data is available, runs a job by hand, or resubmits failed records.</summary>
/// <remarks>
/// <para>
/// These calls never run a job twice at once: a call that arrives while the job runs (or waits for its turn) is
/// coalesced into one follow-up run, never lost and never doubled. They return at once, with no run id; a host that
/// needs to wait for the runs they cause calls <see cref="IJobMonitor.WaitForIdleAsync"/>. To track one run by its id,
/// use <see cref="IJobRunner.Enqueue"/>; to await its result, <see cref="IJobRunner.RunAsync"/>.
/// </para>
/// <para>Each call records its own <see cref="TriggerKind"/> in the job's history.</para>
/// </remarks>
public interface IJobTrigger
{
    /// <summary>
    /// Signals that data is available for a job with an automatic schedule (an order was placed); the run is recorded as
    /// <see cref="TriggerKind.Automatic"/>.
    /// </summary>
    /// <param name="jobName">The job's name.</param>
    /// <remarks>
    /// Cheap and non-blocking. A signal to a disabled job is ignored (the data stays where it is for the next run once the
    /// job is enabled); one to a paused job is held until it resumes.
    /// </remarks>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="InvalidOperationException">
    /// The job's schedule is not automatic (nor combined with <c>Schedule.Automatic()</c>): signals would never run it.
    /// Run it by hand with <see cref="Trigger"/>, or give it an automatic schedule.
    /// </exception>
    void Signal(string jobName);

    /// <summary>Runs a job by hand (an admin's "Run now" button); the run is recorded as <see cref="TriggerKind.Manual"/>.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <remarks>Any schedule; a paused job holds the run until it resumes.</remarks>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="InvalidOperationException">The job is disabled, or the engine is stopping.</exception>
    void Trigger(string jobName);

    /// <summary>
    /// Runs a record job once over every pending, skipped and failed record ("Resubmit All Orders"); the run is recorded as
    /// <see cref="TriggerKind.Resubmit"/>.
    /// </summary>
    /// <param name="jobName">The record job's name.</param>
    /// <remarks>Coalesced like the others, but a resubmit outranks any other follow-up it is coalesced with.</remarks>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="InvalidOperationException">The job is disabled, or the engine is stopping.</exception>
    void Resubmit(string jobName);
}
