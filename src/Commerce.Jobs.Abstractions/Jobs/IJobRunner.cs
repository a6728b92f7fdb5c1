namespace Commerce.Jobs;

/// <summary>Runs a job on demand: awaited for its result (a real-time order history page), or started by hand ("Run now").</summary>
public interface IJobRunner
{
    /// <summary>Runs <paramref name="jobName"/> with <paramref name="parameters"/> and waits for its result.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="parameters">The parameters the job reads from <see cref="JobContext.Parameters"/>.</param>
    /// <param name="timeout">How long to wait; the run is cancelled when it passes.</param>
    /// <param name="cancellationToken">Cancels the wait and the run.</param>
    /// <returns>The run's result; its <see cref="JobResult.Value"/> is what the job returned.</returns>
    /// <remarks>
    /// On-demand runs are never coalesced: each call runs once, within the job's concurrency limit.
    /// A paused job holds the request until it resumes or the timeout passes.
    /// </remarks>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="InvalidOperationException">
    /// The job is disabled, the engine is stopping, or 100 runs asked for by hand already wait for their turn.
    /// </exception>
    /// <exception cref="TimeoutException">The run did not finish within <paramref name="timeout"/>.</exception>
    Task<JobResult> RunAsync(string jobName, object? parameters, TimeSpan timeout, CancellationToken cancellationToken);

    /// <summary>Starts a manual run of <paramref name="jobName"/> and returns at once with the run's id.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="parameters">The parameters the job reads from <see cref="JobContext.Parameters"/>.</param>
    /// <returns>The run's id and a task that completes with its result.</returns>
    /// <remarks>
    /// The run is recorded with <see cref="TriggerKind.Manual"/> under <see cref="JobRunHandle.RunId"/>, and failure
    /// notifiers are told if it fails. Like <see cref="RunAsync"/>, it is never coalesced: each call runs once, within
    /// the job's concurrency limit; a paused job holds it until it resumes. Nothing cancels it but the engine stopping.
    /// </remarks>
    /// <exception cref="ArgumentException">No job has that name.</exception>
    /// <exception cref="InvalidOperationException">
    /// The job is disabled, the engine is stopping, or 100 runs asked for by hand already wait for their turn.
    /// </exception>
    JobRunHandle Start(string jobName, object? parameters);
}
