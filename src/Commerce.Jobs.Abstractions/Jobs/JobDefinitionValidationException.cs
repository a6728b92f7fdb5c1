namespace Commerce.Jobs;

/// <summary>
/// Thrown by <see cref="IJobDefinitions.UpdateAsync"/> when a change names an unknown field or would make the job's
/// settings invalid (an HTTP <c>400</c>): the messages are the start-up validation's, naming the job and the setting.
/// Nothing was changed.
/// </summary>
public sealed class JobDefinitionValidationException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="JobDefinitionValidationException"/> class.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="errors">What is wrong, one message per problem.</param>
    public JobDefinitionValidationException(string jobName, IReadOnlyList<string> errors)
        : base(string.Join(" ", errors ?? []))
    {
        JobName = jobName;
        Errors = errors ?? [];
    }

    /// <summary>Gets the job's name.</summary>
    public string JobName { get; }

    /// <summary>Gets what is wrong, one message per problem (each names the job and the setting).</summary>
    public IReadOnlyList<string> Errors { get; }
}
