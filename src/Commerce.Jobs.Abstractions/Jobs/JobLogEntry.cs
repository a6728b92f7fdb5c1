namespace Commerce.Jobs;

/// <summary>One line of a run's log, kept with the run in its history.</summary>
/// <param name="Timestamp">When the line was written.</param>
/// <param name="Level">Its severity.</param>
/// <param name="Message">The text.</param>
public readonly record struct JobLogEntry(DateTimeOffset Timestamp, JobLogLevel Level, string Message);
