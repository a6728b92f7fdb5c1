namespace Commerce.Jobs.Storage;

/// <summary>One entry of the operator-state plane (<see cref="IOperatorStateStore"/>): a kind, a name and its stored fields.</summary>
/// <param name="Kind">The kind (<see cref="OperatorStateKinds"/>).</param>
/// <param name="Name">The name (a job name, an entity type), as spelled by the newest field's write.</param>
/// <param name="Fields">The stored fields, one per field name.</param>
public sealed record OperatorStateEntry(string Kind, string Name, IReadOnlyList<OperatorStateField> Fields);
