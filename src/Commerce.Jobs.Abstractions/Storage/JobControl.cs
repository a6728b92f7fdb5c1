namespace Commerce.Jobs.Storage;

/// <summary>
/// A job's operator state as <see cref="IJobControl"/> last set it, on any host: paused (triggers held) and disabled
/// (schedule ignored, manual runs refused). Kept in the <see cref="IJobStore"/>, so it outlives a restart and reaches
/// every host of the application.
/// </summary>
/// <param name="JobName">The job's name.</param>
/// <param name="Paused">Whether the job is paused.</param>
/// <param name="Disabled">Whether the job is disabled.</param>
/// <param name="ChangedAt">When an operator last changed it.</param>
public sealed record JobControl(string JobName, bool Paused, bool Disabled, DateTimeOffset ChangedAt);
