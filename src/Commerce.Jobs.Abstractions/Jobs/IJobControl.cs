using Commerce.Jobs.Storage;

namespace Commerce.Jobs;

/// <summary>Changes a job's state at run time.</summary>
/// <remarks>
/// A <em>paused</em> job keeps every trigger it receives (coalesced) and runs once when resumed.
/// A <em>disabled</em> job ignores its schedule and signals and refuses manual and on-demand runs.
/// A run in progress is never interrupted by either.
/// <para>
/// A change acts at once on this host and is kept in the store's operator state (<see cref="Storage.IOperatorStateStore"/>,
/// kind <see cref="Storage.OperatorStateKinds.Job"/>, fields <c>paused</c> and <c>disabled</c>): hosts on that store
/// apply it when they start and, while running, within <c>CommerceJobsOptions.ControlRefreshInterval</c> (30 seconds by
/// default), unless the job was changed there since. The newest change wins per field: two hosts that change one job
/// within the refresh interval (one pauses, the other disables) both keep their change, and the job ends paused and
/// disabled everywhere. It wins over the job's configured <c>Enabled</c> until an operator changes the job again.
/// </para>
/// </remarks>
public interface IJobControl
{
    /// <summary>Pauses a job: triggers are held until <see cref="Resume"/>.</summary>
    /// <param name="jobName">The job's name.</param>
    void Pause(string jobName);

    /// <summary>Resumes a paused job, running it once if a trigger was held.</summary>
    /// <param name="jobName">The job's name.</param>
    void Resume(string jobName);

    /// <summary>Enables a disabled job.</summary>
    /// <param name="jobName">The job's name.</param>
    void Enable(string jobName);

    /// <summary>Disables a job: its schedule and signals are ignored, manual runs refused.</summary>
    /// <param name="jobName">The job's name.</param>
    void Disable(string jobName);
}
