namespace Commerce.Jobs;

/// <summary>One value an operator's change touched (<see cref="OperatorChange"/>), before and after, as text.</summary>
/// <param name="Field">The field's name (<c>paused</c>, <c>disabled</c>, a <see cref="JobDefinitionFields"/> name…).</param>
/// <param name="OldValue">The value before the change; <see langword="null"/> when it had none.</param>
/// <param name="NewValue">The value after the change; <see langword="null"/> when it has none.</param>
public sealed record OperatorChangeValue(string Field, string? OldValue, string? NewValue);
