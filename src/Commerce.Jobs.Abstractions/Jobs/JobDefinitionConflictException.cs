namespace Commerce.Jobs;

/// <summary>
/// Thrown by <see cref="IJobDefinitions"/> when a change was made against a version of the definition that is no longer
/// in force (another change came first; an HTTP <c>412 Precondition Failed</c>). Nothing was changed: read the
/// definition again and decide again.
/// </summary>
public sealed class JobDefinitionConflictException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="JobDefinitionConflictException"/> class.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="expectedVersion">The version the change was made against.</param>
    /// <param name="currentVersion">The version in force.</param>
    public JobDefinitionConflictException(string jobName, string expectedVersion, string currentVersion)
        : base($"Job '{jobName}': the definition changed since version {expectedVersion} (it is at {currentVersion}); read it again and retry.")
    {
        JobName = jobName;
        ExpectedVersion = expectedVersion;
        CurrentVersion = currentVersion;
    }

    /// <summary>Gets the job's name.</summary>
    public string JobName { get; }

    /// <summary>Gets the version the change was made against.</summary>
    public string ExpectedVersion { get; }

    /// <summary>Gets the version in force.</summary>
    public string CurrentVersion { get; }
}
