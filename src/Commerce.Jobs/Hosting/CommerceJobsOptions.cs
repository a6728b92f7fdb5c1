using System.Text.Json;

namespace Commerce.Jobs;

/// <summary>Engine-wide settings, bound from the <c>CommerceJobs</c> configuration section.</summary>
public sealed class CommerceJobsOptions
{
    /// <summary>Gets or sets the most runs (of all jobs) in progress at once: the size of the worker pool (1 to 1024).</summary>
    /// <value>The default value is 16.</value>
    public int MaxConcurrentRuns { get; set; } = JobDefaults.MaxConcurrentRuns;

    /// <summary>Gets or sets how long stopping the host lets running jobs finish before cancelling them.</summary>
    /// <value>The default value is 30 seconds.</value>
    public TimeSpan ShutdownTimeout { get; set; } = JobDefaults.ShutdownTimeout;

    /// <summary>Gets or sets the name this host records on its runs and notifications.</summary>
    /// <value>The default value is <see cref="Environment.MachineName"/>.</value>
    public string HostName { get; set; } = Environment.MachineName;

    /// <summary>Gets or sets how long a host holds the inbox records it claimed before another host may take them over (renewed while it works).</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan LeaseDuration { get; set; } = JobDefaults.LeaseDuration;

    /// <summary>
    /// Gets or sets how often a host reads the operator state that other hosts keep in the job store — jobs paused or
    /// disabled, entity-sync configurations changed at run time — and applies what is newer than its own.
    /// <see cref="Timeout.InfiniteTimeSpan"/> turns it off (the state is then read only at start).
    /// </summary>
    /// <remarks>
    /// Each read fetches every stored entry: one per job an operator ever paused, resumed, enabled or disabled, and one
    /// per entity type changed at run time. "Newer" compares the times the hosts wrote, so keep their clocks in sync.
    /// </remarks>
    /// <value>The default value is 30 seconds; 1 second to 1 day.</value>
    public TimeSpan ControlRefreshInterval { get; set; } = JobDefaults.ControlRefreshInterval;

    /// <summary>Gets or sets how inbox records are serialized into the store.</summary>
    /// <value>The default value is <see cref="JsonSerializerDefaults.Web"/> options.</value>
    public JsonSerializerOptions SerializerOptions { get; set; } = new(JsonSerializerDefaults.Web);
}
