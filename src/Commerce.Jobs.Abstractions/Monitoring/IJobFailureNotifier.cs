namespace Commerce.Jobs;

/// <summary>Tells someone that a run failed (commerce platforms email an administrator).</summary>
/// <remarks>
/// Called once per failed run (except awaited on-demand runs, whose caller gets the failure), and after every run
/// for jobs configured to notify always.
/// An exception thrown here is logged and does not affect the run.
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
}
