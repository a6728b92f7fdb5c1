using Commerce.Jobs.Storage;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>
/// The built-in Nightly Maintenance job: purges each job's history past its retention and each entity type's delete
/// tombstones past its <see cref="EntitySyncOptions.TombstoneRetention"/>, then runs the host's steps.
/// </summary>
internal sealed class NightlyMaintenanceJob(
    IJobMonitor monitor,
    IRunHistoryStore store,
    Runners.JobEngine engine,
    IEntitySync entitySync,
    IEntitySyncStore entitySyncStore,
    IOptionsMonitor<EntitySyncOptions> entitySyncOptions,
    IEnumerable<INightlyMaintenanceStep> steps) : IIntegrationJob
{
    public async ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        var now = context.TimeProvider.GetUtcNow();
        var purged = 0;
        foreach (var job in monitor.GetStatuses())
        {
            var options = engine.GetEntry(job.JobName).Options;   // in force: run-time definitions included
            purged += await store.PurgeRunsAsync(job.JobName, options.MaxArchivedRuns, now - options.HistoryRetention, cancellationToken).ConfigureAwait(false);
        }

        context.Log(JobLogLevel.Information, $"Purged {purged} runs from the history.");

        // A type's state is cleared when its configuration is deleted, so the configured types are all the store holds.
        var tombstones = 0;
        foreach (var configuration in await entitySync.GetConfigurationsAsync(cancellationToken).ConfigureAwait(false))
        {
            var retention = entitySyncOptions.Get(configuration.EntityType).TombstoneRetention;
            var before = retention < now - DateTimeOffset.MinValue ? now - retention : DateTimeOffset.MinValue;   // a retention of ages keeps them all
            tombstones += await entitySyncStore.PurgeEntityTombstonesAsync(configuration.EntityType, before, cancellationToken).ConfigureAwait(false);
        }

        context.Log(JobLogLevel.Information, $"Purged {tombstones} entity tombstones (delivered versions of deletes) past their retention.");
        foreach (var step in steps)
        {
            context.Log(JobLogLevel.Information, $"Running {step.GetType().Name}.");
            await step.RunAsync(context, cancellationToken).ConfigureAwait(false);
        }

        return JobResult.Success;
    }
}
