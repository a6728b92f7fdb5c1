namespace Commerce.Jobs.Storage;

/// <summary>
/// The schedule role of a job store: occurrence claims, so that a scheduled occurrence runs once across every host
/// sharing the store, and each job's checkpoint (for example the last exported order date).
/// </summary>
/// <remarks>Implementations are thread-safe. Job names compare case-insensitively.</remarks>
public interface IScheduleStore
{
    /// <summary>
    /// Claims a scheduled occurrence of a job, so that it runs once across every host sharing the store: succeeds only for
    /// the first claim of an occurrence later than any claimed before for the job. Hosts compare scheduled times, never clocks.
    /// </summary>
    /// <param name="jobName">The job.</param>
    /// <param name="scheduledTime">The occurrence's scheduled time.</param>
    /// <param name="owner">The claiming host.</param>
    /// <param name="cancellationToken">Cancels the claim.</param>
    /// <returns><see langword="true"/> when this call claimed it.</returns>
    ValueTask<bool> TryClaimOccurrenceAsync(string jobName, DateTimeOffset scheduledTime, string owner, CancellationToken cancellationToken);

    /// <summary>Gets a job's checkpoint (for example the last exported order date).</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The checkpoint, or <see langword="null"/> when none was set.</returns>
    ValueTask<string?> GetCheckpointAsync(string jobName, CancellationToken cancellationToken);

    /// <summary>Sets or clears a job's checkpoint.</summary>
    /// <param name="jobName">The job.</param>
    /// <param name="checkpoint">The checkpoint; <see langword="null"/> clears it.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the checkpoint is stored.</returns>
    ValueTask SetCheckpointAsync(string jobName, string? checkpoint, CancellationToken cancellationToken);
}
