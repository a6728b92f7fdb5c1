namespace Commerce.Jobs.Runners;

/// <summary>One run handed to the worker pool: the job, what triggered it, and the awaiting request if any.</summary>
internal readonly record struct WorkItem(JobEntry Entry, TriggerKind Trigger, RunRequest? Request);
