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
        : this(jobName, errors, errors is { Count: > 0 } ? new Dictionary<string, IReadOnlyList<string>> { [string.Empty] = errors } : new Dictionary<string, IReadOnlyList<string>>())
    {
    }

    /// <summary>Initializes a new instance of the <see cref="JobDefinitionValidationException"/> class, with the messages per field.</summary>
    /// <param name="jobName">The job's name.</param>
    /// <param name="errors">What is wrong, one message per problem.</param>
    /// <param name="fieldErrors">The same messages keyed by the field each concerns (<see cref="FieldErrors"/>).</param>
    public JobDefinitionValidationException(string jobName, IReadOnlyList<string> errors, IReadOnlyDictionary<string, IReadOnlyList<string>> fieldErrors)
        : base(string.Join(" ", errors ?? []))
    {
        JobName = jobName;
        Errors = errors ?? [];
        FieldErrors = fieldErrors ?? new Dictionary<string, IReadOnlyList<string>>();
    }

    /// <summary>Gets the job's name.</summary>
    public string JobName { get; }

    /// <summary>Gets what is wrong, one message per problem (each names the job and the setting).</summary>
    public IReadOnlyList<string> Errors { get; }

    /// <summary>
    /// Gets the messages of <see cref="Errors"/> keyed by the field each concerns, so that a form can show each next to its
    /// field: under a field's name as in <see cref="JobDefinitionFields"/> (a message that starts with the job and a
    /// setting, as the validators' do, under that setting — a rule over several fields under the one it names first), an
    /// unknown field under the name it was given (capped), and a message that names no such field (the schedule as a
    /// whole, a host's own wording) under the empty key.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> FieldErrors { get; }
}
