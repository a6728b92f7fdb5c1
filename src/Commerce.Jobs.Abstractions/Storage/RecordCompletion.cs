namespace Commerce.Jobs.Storage;

/// <summary>The outcome of a claimed record, by sequence number.</summary>
/// <param name="Sequence">The record's sequence number.</param>
/// <param name="Status">
/// <see cref="RecordStatus.Delivered"/>, <see cref="RecordStatus.Skipped"/> or <see cref="RecordStatus.PermanentFailure"/>;
/// or <see cref="RecordStatus.TransientFailure"/> to release a record that was not attempted (its lease ends, nothing else changes).
/// </param>
/// <param name="Error">The error, if it failed.</param>
public readonly record struct RecordCompletion(long Sequence, RecordStatus Status, string? Error = null);
