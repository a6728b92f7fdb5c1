namespace Commerce.Jobs;

/// <summary>One field of a job's effective definition.</summary>
/// <param name="Name">The field's name (<see cref="JobDefinitionFields"/>).</param>
/// <param name="Value">The value in force, as text (as in configuration); <see langword="null"/> for an optional setting that is not set.</param>
/// <param name="Source">Where the value comes from.</param>
/// <param name="DeclaredValue">The value configuration or code declares, in force again once the override is reset.</param>
public sealed record JobDefinitionField(string Name, string? Value, JobDefinitionSource Source, string? DeclaredValue);
