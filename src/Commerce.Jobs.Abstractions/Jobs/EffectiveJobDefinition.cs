namespace Commerce.Jobs;

/// <summary>A job's definition in force on this host: each field's value and where it came from (<see cref="IJobDefinitions.Get"/>).</summary>
/// <param name="JobName">The job's name.</param>
/// <param name="Version">
/// An opaque version of the definition, the same on every host that holds the same one: pass it back to
/// <see cref="IJobDefinitions.UpdateAsync"/> to refuse a change made against an older definition (an HTTP <c>ETag</c>).
/// </param>
/// <param name="Fields">Every field that can change at run time, in the order of <see cref="JobDefinitionFields.All"/>.</param>
/// <param name="ChangedAt">When the job's run-time overrides last changed; <see langword="null"/> if never.</param>
/// <param name="ChangedBy">Who made that change, when known.</param>
public sealed record EffectiveJobDefinition(string JobName, string Version, IReadOnlyList<JobDefinitionField> Fields, DateTimeOffset? ChangedAt, string? ChangedBy)
{
    /// <summary>Gets a field by name.</summary>
    /// <param name="name">The field's name (<see cref="JobDefinitionFields"/>), compared ordinally, ignoring case.</param>
    /// <returns>The field.</returns>
    /// <exception cref="KeyNotFoundException">The job has no field of that name.</exception>
    public JobDefinitionField this[string name]
        => Fields.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase))
           ?? throw new KeyNotFoundException($"Job '{JobName}' has no setting '{name}' that can change at run time.");
}
