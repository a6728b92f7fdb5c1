namespace Commerce.Jobs;

/// <summary>How many records a run read, delivered, skipped and failed permanently.</summary>
/// <param name="Read">Records read from the source.</param>
/// <param name="Delivered">Records the target accepted.</param>
/// <param name="Skipped">Records still failing transiently after their retries; they stay pending for a later run.</param>
/// <param name="Failed">Records the target rejected permanently (invalid); they are not retried automatically.</param>
public readonly record struct RecordCounts(long Read, long Delivered, long Skipped, long Failed);
