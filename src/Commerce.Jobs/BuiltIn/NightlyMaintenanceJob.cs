using Commerce.Jobs.Storage;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>The built-in Nightly Maintenance job: purges each job's history past its retention, then runs the host's steps.</summary>
internal sealed class NightlyMaintenanceJob(IJobMonitor monitor, IRunHistoryStore store, IOptionsMonitor<JobOptions> jobOptions, IEnumerable<INightlyMaintenanceStep> steps) : IIntegrationJob
{
    public async ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        var now = context.TimeProvider.GetUtcNow();
        var purged = 0;
        foreach (var job in monitor.GetStatuses())
        {
            var options = jobOptions.Get(job.JobName);
            purged += await store.PurgeRunsAsync(job.JobName, options.MaxArchivedRuns, now - options.HistoryRetention, cancellationToken).ConfigureAwait(false);
        }

        context.Log(JobLogLevel.Information, $"Purged {purged} runs from the history.");
        foreach (var step in steps)
        {
            context.Log(JobLogLevel.Information, $"Running {step.GetType().Name}.");
            await step.RunAsync(context, cancellationToken).ConfigureAwait(false);
        }

        return JobResult.Success;
    }
}
