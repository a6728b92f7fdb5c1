namespace Commerce.Jobs.Storage;

/// <summary>A record of a record job that was skipped or failed permanently, as kept in the job store.</summary>
/// <param name="RecordId">The record's stable id.</param>
/// <param name="Status"><see cref="RecordStatus.Skipped"/> or <see cref="RecordStatus.PermanentFailure"/>.</param>
/// <param name="Error">The last error.</param>
/// <param name="Attempts">How many runs have tried the record and not delivered it.</param>
/// <param name="LastAttemptAt">When it was last tried.</param>
public sealed record RecordFailure(string RecordId, RecordStatus Status, string? Error, int Attempts, DateTimeOffset LastAttemptAt);
