namespace Commerce.Jobs;

/// <summary>What a job is doing now.</summary>
public enum JobState
{
    /// <summary>Waiting for its next trigger.</summary>
    Idle,

    /// <summary>Triggered and waiting for a free worker.</summary>
    Queued,

    /// <summary>A run is in progress.</summary>
    Running,

    /// <summary>Paused: triggers are held until it resumes.</summary>
    Paused,

    /// <summary>Disabled: its schedule and signals are ignored.</summary>
    Disabled,
}
