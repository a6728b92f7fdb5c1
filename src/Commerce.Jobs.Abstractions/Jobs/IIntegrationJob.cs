namespace Commerce.Jobs;

/// <summary>
/// A plain integration job: a named unit of work that runs and reports an outcome
/// (purge saved orders, rebuild a sitemap, deactivate inactive accounts).
/// </summary>
/// <remarks>
/// Implementations are resolved from dependency injection for every run, so they may take
/// scoped or transient dependencies. A job should observe the cancellation token passed to <see cref="ExecuteAsync"/>:
/// it is cancelled when the host stops past its grace period or an awaited run times out.
/// </remarks>
public interface IIntegrationJob
{
    /// <summary>Runs the job once.</summary>
    /// <param name="context">What the run is: job name, run id, trigger, parameters, and its log.</param>
    /// <param name="cancellationToken">Cancelled when the run must stop.</param>
    /// <returns>The outcome of the run.</returns>
    ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken);
}
