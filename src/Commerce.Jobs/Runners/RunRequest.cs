namespace Commerce.Jobs.Runners;

/// <summary>A run asked for one per call (awaited or queued): never coalesced, its id fixed up front, completed with the run's result.</summary>
internal sealed class RunRequest(Guid runId, TriggerKind trigger, object? parameters, CancellationToken cancellationToken)
{
    public Guid RunId { get; } = runId;

    public TriggerKind Trigger { get; } = trigger;

    public object? Parameters { get; } = parameters;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    public TaskCompletionSource<JobResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
