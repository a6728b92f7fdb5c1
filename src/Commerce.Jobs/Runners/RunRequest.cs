namespace Commerce.Jobs.Runners;

/// <summary>
/// A run asked for one per call (awaited or queued): never coalesced, its id fixed up front, completed with the run's
/// result. It is its own completion source (one object per call, not three): continuations run asynchronously, never
/// on the worker that answers.
/// </summary>
internal sealed class RunRequest(Guid runId, TriggerKind trigger, object? parameters, CancellationToken cancellationToken)
    : TaskCompletionSource<JobResult>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public Guid RunId { get; } = runId;

    public TriggerKind Trigger { get; } = trigger;

    public object? Parameters { get; } = parameters;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>Gets the completion source: the request itself.</summary>
    public TaskCompletionSource<JobResult> Completion => this;
}
