namespace Commerce.Jobs.Runners;

/// <summary>An awaited on-demand run: never coalesced, completed with the run's result.</summary>
internal sealed class RunRequest(object? parameters, CancellationToken cancellationToken)
{
    public object? Parameters { get; } = parameters;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public TaskCompletionSource<JobResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
