namespace Commerce.Jobs.Storage;

/// <summary>
/// What a job's run history knows of the run recorded just before one of its runs
/// (<see cref="IRunHistoryStore.GetPredecessorAsync(string, Guid, CancellationToken)"/>).
/// </summary>
/// <param name="Found">Whether the run asked about is in the history (it may never have been stored, or been purged).</param>
/// <param name="Outcome">
/// The outcome of the run recorded just before it; <see langword="null"/> when it is the job's first run in the history,
/// or when it was not found.
/// </param>
public readonly record struct RunPredecessor(bool Found, JobOutcome? Outcome);
