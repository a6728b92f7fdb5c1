namespace Commerce.Jobs;

/// <summary>Tells someone that a run failed (commerce platforms email an administrator).</summary>
/// <remarks>
/// Called once per failed run (except awaited on-demand runs, whose caller gets the failure), and after every run
/// for jobs configured to notify always; never for a job whose <c>NotifyOnFailure</c> setting is off.
/// The engine calls the notifiers from one bounded queue, one notice after another, off the run path: a run never
/// waits for a notifier, and a notice that finds the queue full is dropped with a log line. When the host stops,
/// the queue is drained within the engine's shutdown bound; past it, <c>cancellationToken</c> is cancelled.
/// An exception thrown here is logged and does not affect the run; the engine does not retry it.
/// </remarks>
public interface IJobFailureNotifier
{
    /// <summary>Notifies about a run.</summary>
    /// <param name="failure">The job, host, time, error and run.</param>
    /// <param name="cancellationToken">Cancels the notification.</param>
    /// <returns>A task that completes when the notification is sent.</returns>
    ValueTask NotifyAsync(JobFailure failure, CancellationToken cancellationToken);

    /// <summary>Notifies that a delivery target became unhealthy (told once each time it breaks, not per delivery).</summary>
    /// <param name="health">The target's health, with its last error and when deliveries resume.</param>
    /// <param name="hostName">The host that saw it.</param>
    /// <param name="cancellationToken">Cancels the notification.</param>
    /// <returns>A task that completes when the notification is sent.</returns>
    /// <remarks>The default implementation does nothing.</remarks>
    ValueTask NotifyTargetUnhealthyAsync(TargetHealth health, string hostName, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>
    /// Notifies that a job may have recovered: a run of it succeeded or partially succeeded (a cancelled run is neither)
    /// right after a failure — its previous recorded run failed (the run history is shared by every host on one store,
    /// so on any host), or a failure this host told the notifiers about came before it.
    /// </summary>
    /// <remarks>
    /// A candidate, not a verdict: one recovery may be told more than once (by several hosts, or again after a restart),
    /// and a run following a failure no one was told about (an awaited on-demand run's) is told too. A notifier that
    /// tells someone once per recovery keeps whether the job was failing itself, where the hosts share it (the e-mail
    /// notifier keeps it in its throttle, in the operator-state plane). The default implementation does nothing.
    /// </remarks>
    /// <param name="run">The run that succeeded; its <see cref="JobRun.HostName"/> is the host that ran it.</param>
    /// <param name="cancellationToken">Cancels the notification.</param>
    /// <returns>A task that completes when the notification is sent.</returns>
    ValueTask NotifyRecoveredAsync(JobRun run, CancellationToken cancellationToken) => ValueTask.CompletedTask;
}
