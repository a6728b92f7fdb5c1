namespace Commerce.Jobs;

/// <summary>A host's own cleanup step run by Nightly Maintenance (purge saved carts, deactivate inactive accounts).</summary>
public interface INightlyMaintenanceStep
{
    /// <summary>Runs the step.</summary>
    /// <param name="context">The maintenance run; log to it.</param>
    /// <param name="cancellationToken">Cancelled when the run must stop.</param>
    /// <returns>A task that completes when the step is done.</returns>
    ValueTask RunAsync(JobContext context, CancellationToken cancellationToken);
}
