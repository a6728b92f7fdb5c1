namespace Commerce.Jobs;

/// <summary>
/// Runs a job on demand, one run per call, never coalesced: queued with its id (<see cref="Enqueue"/>, or
/// <see cref="EnqueueAsync"/> which waits for room), or awaited for its result (<see cref="RunAsync"/>).
/// </summary>
/// <remarks>
/// Each call runs the job once, within the job's concurrency limit; runs beyond it wait their turn in the job's queue,
/// in order. At most 100 runs wait per job: then <see cref="Enqueue"/> and <see cref="RunAsync"/> throw, and
/// <see cref="EnqueueAsync"/> waits for room. A paused job holds the runs until it resumes. For a fire-and-forget,
/// coalesced run use <see cref="IJobTrigger"/>.
/// </remarks>
public interface IJobRunner
{
    /// <summary>
    /// Runs <paramref name="jobName"/> with <paramref name="parameters"/> and waits for its result (a storefront page that
    /// needs the answer); the run is recorded as <see cref="TriggerKind.OnDemand"/>.
    /// </summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="parameters">The parameters the job reads from <see cref="JobContext.Parameters"/>.</param>
    /// <param name="timeout">How long to wait; the run is cancelled when it passes. <see cref="Timeout.InfiniteTimeSpan"/> waits as long as it takes.</param>
    /// <param name="cancellationToken">Cancels the wait and the run.</param>
    /// <returns>
    /// The run's result when it <see cref="JobOutcome.Succeeded"/> or <see cref="JobOutcome.PartiallySucceeded"/>; its
    /// <see cref="JobResult.Value"/> is what the job returned. A failed run throws <see cref="JobRunFailedException"/>. A
    /// run that the host's shutdown cancelled returns <see cref="JobOutcome.Cancelled"/>, or, when the run ignored the
    /// cancellation and was abandoned, ends the call with an <see cref="OperationCanceledException"/>.
    /// </returns>
    /// <remarks>
    /// A paused job holds the request until it resumes or the timeout passes. The caller is told a failure by the
    /// exception; failure notifiers are not called for an awaited run.
    /// </remarks>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="timeout"/> is zero or negative (and not infinite).</exception>
    /// <exception cref="InvalidOperationException">
    /// The job is disabled, the engine is stopping, or 100 runs already wait for their turn; also when the job is disabled
    /// or the engine stops before the run starts.
    /// </exception>
    /// <exception cref="JobRunFailedException">The run failed: the job threw or returned <see cref="JobOutcome.Failed"/>.</exception>
    /// <exception cref="TimeoutException">The run did not finish within <paramref name="timeout"/>.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<JobResult> RunAsync(string jobName, object? parameters, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>
    /// Queues a run of <paramref name="jobName"/> and returns at once with the run's id (an importer that tracks its runs);
    /// the run is recorded as <see cref="TriggerKind.Queued"/>.
    /// </summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="parameters">The parameters the job reads from <see cref="JobContext.Parameters"/>.</param>
    /// <returns>The run's id and a task that completes with its result.</returns>
    /// <remarks>
    /// The run is recorded under <see cref="JobRunHandle.RunId"/>, and failure notifiers are told if it fails. The handle's
    /// <see cref="JobRunHandle.Completion"/> completes with the result whatever the outcome, <see cref="JobOutcome.Failed"/>
    /// included: it does not throw <see cref="JobRunFailedException"/> (read <see cref="JobResult.Outcome"/>). Nothing
    /// cancels the run but the engine stopping.
    /// </remarks>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="InvalidOperationException">
    /// The job is disabled, the engine is stopping, or 100 runs already wait for their turn (use
    /// <see cref="EnqueueAsync"/> to wait for room instead).
    /// </exception>
    JobRunHandle Enqueue(string jobName, object? parameters);

    /// <summary>
    /// Queues a run of <paramref name="jobName"/> like <see cref="Enqueue"/>, but when 100 runs already wait for their turn,
    /// waits for room instead of throwing (an importer with back-pressure); the run is recorded as
    /// <see cref="TriggerKind.Queued"/>.
    /// </summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="parameters">The parameters the job reads from <see cref="JobContext.Parameters"/>.</param>
    /// <param name="cancellationToken">Cancels the wait for room; never a run already queued.</param>
    /// <returns>Once the run is queued: its id and a task that completes with its result, as from <see cref="Enqueue"/>.</returns>
    /// <remarks>
    /// Callers that wait are queued in the order they called, each as soon as a waiting run leaves the queue (no polling).
    /// A paused job keeps them waiting until it resumes. A call cancelled while it waits queues nothing.
    /// </remarks>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="InvalidOperationException">
    /// The job is disabled or the engine is stopping: at once, or when that happens while the call waits.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled before the run was queued.</exception>
    ValueTask<JobRunHandle> EnqueueAsync(string jobName, object? parameters, CancellationToken cancellationToken);
}
