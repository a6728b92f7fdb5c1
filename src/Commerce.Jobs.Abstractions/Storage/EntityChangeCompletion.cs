namespace Commerce.Jobs.Storage;

/// <summary>The outcome of delivering one claimed entity change to its target.</summary>
/// <param name="Change">The change as it was claimed and delivered.</param>
/// <param name="Status">
/// <see cref="RecordStatus.Delivered"/>, <see cref="RecordStatus.Skipped"/> (retried later),
/// <see cref="RecordStatus.PermanentFailure"/> (the target will not take it), or <see cref="RecordStatus.TransientFailure"/>
/// (released unattempted).
/// </param>
/// <param name="Error">The target's error for a skip or failure.</param>
public readonly record struct EntityChangeCompletion(EntityChange Change, RecordStatus Status, string? Error = null);
