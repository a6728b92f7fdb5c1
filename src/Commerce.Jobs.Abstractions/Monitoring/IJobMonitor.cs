namespace Commerce.Jobs;

/// <summary>Answers "what is every job doing": state, last run, next fire time, history.</summary>
public interface IJobMonitor
{
    /// <summary>Gets a snapshot of every registered job, ordered by name.</summary>
    /// <returns>The snapshots.</returns>
    IReadOnlyList<JobStatus> GetStatuses();

    /// <summary>Gets a snapshot of one job.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <returns>The snapshot.</returns>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    JobStatus GetStatus(string jobName);

    /// <summary>Gets a job's most recent runs, newest first, with their logs.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="maxRuns">The most runs to return.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The runs.</returns>
    ValueTask<IReadOnlyList<JobRun>> GetRunsAsync(string jobName, int maxRuns, CancellationToken cancellationToken);

    /// <summary>
    /// Gets the newest changes operators made to a job, newest first: its controls (pause, resume, enable, disable; kind
    /// <c>job</c>) and its definition (<see cref="IJobDefinitions"/>; kind <c>job-definition</c>), each with who made it,
    /// when, and the values before and after (<see cref="Storage.IOperatorChangeLog"/>).
    /// </summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="limit">The most changes to return: 1 to 1000. The store keeps the newest 100 of each kind.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The changes, newest first.</returns>
    /// <remarks>
    /// A change made on this host before the call is in the answer: the call first waits until this host's pending writes
    /// of operator changes reached the store (bound the wait with <paramref name="cancellationToken"/> when the store may
    /// hang). Changes made on other hosts are in it once they reached the store.
    /// </remarks>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="limit"/> is not between 1 and 1000.</exception>
    ValueTask<IReadOnlyList<OperatorChange>> GetChangesAsync(string jobName, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Waits until <paramref name="jobName"/> is idle: no run of it is queued, running, coalesced into a follow-up, or held
    /// by a pause; every run it had is then in its history. The supported way to wait for runs that have no handle
    /// (a signal, a trigger, a scheduled fire) — in tests and in an importer that signals, then waits.
    /// </summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="cancellationToken">Cancels the wait (never a run).</param>
    /// <returns>A task that completes once the job is idle; at once when it is idle already.</returns>
    /// <remarks>
    /// <para>
    /// A <see cref="IJobTrigger.Signal"/>, <see cref="IJobTrigger.Trigger"/>, <see cref="IJobTrigger.Resubmit"/> or
    /// <see cref="IJobRunner.Enqueue"/> call that returned before this call is waited for: those calls mark the job busy
    /// before they return. A scheduled fire is waited for once the scheduler has fired it (a test that advances a fake
    /// clock waits for the run to start first). A signal to a disabled job is ignored, so it leaves the job idle.
    /// </para>
    /// <para>
    /// A paused job holding a run is not idle until it resumes and the run ends. Runs started after the job became idle
    /// are not waited for: a busy job may never be idle, so bound the wait with <paramref name="cancellationToken"/>.
    /// </para>
    /// </remarks>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the job was idle.</exception>
    Task WaitForIdleAsync(string jobName, CancellationToken cancellationToken);

    /// <summary>Gets the health of every delivery target that has been used, ordered by name.</summary>
    /// <returns>The snapshots.</returns>
    IReadOnlyList<TargetHealth> GetTargetHealth();
}
