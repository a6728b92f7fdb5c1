using Commerce.Jobs.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.History;

/// <summary>The default failure notifier: writes the failure to the log at error level. Hosts add their own (email) beside it.</summary>
internal sealed class LoggingFailureNotifier(ILogger<LoggingFailureNotifier> logger) : IJobFailureNotifier
{
    public ValueTask NotifyAsync(JobFailure failure, CancellationToken cancellationToken)
    {
        if (failure.Run.Outcome == JobOutcome.Failed)
        {
            Log.FailureNotified(logger, failure.JobName, failure.Run.RunId, failure.HostName, failure.Error);
        }

        return ValueTask.CompletedTask;
    }
}
