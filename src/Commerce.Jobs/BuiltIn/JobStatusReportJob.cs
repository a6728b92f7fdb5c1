namespace Commerce.Jobs;

/// <summary>The built-in Job Status Report job: writes the report into its run log and returns it.</summary>
internal sealed class JobStatusReportJob(IJobMonitor monitor) : IIntegrationJob
{
    public ValueTask<JobResult> ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        var report = JobStatusReport.Create(monitor, context.TimeProvider);
        foreach (var line in report.ToText().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries))
        {
            context.Log(JobLogLevel.Information, line);
        }

        return ValueTask.FromResult(JobResult.Succeeded(report));
    }
}
