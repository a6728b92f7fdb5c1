namespace Commerce.Jobs.Storage;

/// <summary>One field of an operator-state entry (<see cref="IOperatorStateStore"/>): its value and when an operator changed it.</summary>
/// <param name="Name">The field's name (<c>paused</c>, <c>disabled</c>, <c>targets</c>…), defined by the entry's kind.</param>
/// <param name="Value">The value as text, kept exactly; <see langword="null"/> is kept as such.</param>
/// <param name="ChangedAt">When it was changed; a stored field is replaced only by a strictly newer one.</param>
public sealed record OperatorStateField(string Name, string? Value, DateTimeOffset ChangedAt);
