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
/// <para>
/// Each call is recorded in the audit trail (<see cref="Storage.IOperatorChangeLog"/>, read with
/// <see cref="IJobMonitor.GetChangesAsync"/>): who, when, and <c>paused</c> or <c>disabled</c> old → new. A call that
/// changes nothing (pausing a paused job) is recorded too, with the old value equal to the new one. A store that cannot
/// keep the change or its record is logged; the change still holds here.
/// </para>
/// </remarks>
public interface IJobControl
{
    /// <summary>Pauses a job: triggers are held until <see cref="Resume(string)"/>.</summary>
    /// <param name="jobName">The job's name.</param>
    void Pause(string jobName) => Pause(jobName, null);

    /// <summary>Resumes a paused job, running it once if a trigger was held.</summary>
    /// <param name="jobName">The job's name.</param>
    void Resume(string jobName) => Resume(jobName, null);

    /// <summary>Enables a disabled job.</summary>
    /// <param name="jobName">The job's name.</param>
    void Enable(string jobName) => Enable(jobName, null);

    /// <summary>Disables a job: its schedule and signals are ignored, manual runs refused.</summary>
    /// <param name="jobName">The job's name.</param>
    void Disable(string jobName) => Disable(jobName, null);

    /// <summary>Pauses a job, recording who did it in the audit trail: triggers are held until <see cref="Resume(string, string)"/>.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="actor">Who pauses it (a user name), kept in the audit trail; <see langword="null"/> when not known.</param>
    void Pause(string jobName, string? actor);

    /// <summary>Resumes a paused job, recording who did it in the audit trail, running it once if a trigger was held.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="actor">Who resumes it (a user name), kept in the audit trail; <see langword="null"/> when not known.</param>
    void Resume(string jobName, string? actor);

    /// <summary>Enables a disabled job, recording who did it in the audit trail.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="actor">Who enables it (a user name), kept in the audit trail; <see langword="null"/> when not known.</param>
    void Enable(string jobName, string? actor);

    /// <summary>Disables a job, recording who did it in the audit trail: its schedule and signals are ignored, manual runs refused.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="actor">Who disables it (a user name), kept in the audit trail; <see langword="null"/> when not known.</param>
    void Disable(string jobName, string? actor);
}
