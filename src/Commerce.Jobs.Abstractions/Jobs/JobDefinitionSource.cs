namespace Commerce.Jobs;

/// <summary>Where a job definition's value comes from; a later one wins over an earlier one, per field.</summary>
public enum JobDefinitionSource
{
    /// <summary>Declared in code (or the setting's default).</summary>
    Code,

    /// <summary>Set in configuration, <c>CommerceJobs:Jobs:{job name}</c>.</summary>
    Configuration,

    /// <summary>Overridden at run time (<see cref="IJobDefinitions"/>), until reset.</summary>
    Override,
}
