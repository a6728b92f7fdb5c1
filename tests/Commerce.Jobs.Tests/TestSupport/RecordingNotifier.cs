namespace Commerce.Jobs.Tests.TestSupport;

/// <summary>A failure notifier that keeps what it was told.</summary>
internal sealed class RecordingNotifier : IJobFailureNotifier
{
    public List<JobFailure> Failures { get; } = [];

    public List<JobRun> Recoveries { get; } = [];

    public ValueTask NotifyAsync(JobFailure failure, CancellationToken cancellationToken)
    {
        lock (Failures)
        {
            Failures.Add(failure);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask NotifyRecoveredAsync(JobRun run, CancellationToken cancellationToken)
    {
        lock (Failures)
        {
            Recoveries.Add(run);
        }

        return ValueTask.CompletedTask;
    }
}
