namespace Commerce.Jobs;

/// <summary>
/// One change an operator made at run time, as the audit trail keeps it (<see cref="Storage.IOperatorChangeLog"/>): what
/// was changed, by whom, when, and each value before and after.
/// </summary>
/// <param name="Kind">
/// What was changed, as the operator-state kind (<see cref="Storage.OperatorStateKinds"/>): <c>job</c> (pause, resume,
/// enable, disable), <c>job-definition</c> (<see cref="IJobDefinitions"/>) or <c>entity-sync</c>.
/// </param>
/// <param name="Name">The job's name, or the entity type.</param>
/// <param name="Action">
/// A short verb: <c>pause</c>, <c>resume</c>, <c>enable</c>, <c>disable</c> (job controls, and entity sync's pause and
/// resume), <c>update</c> or <c>reset</c> (a job definition; <c>update</c> also for an entity-sync configuration written),
/// <c>delete</c> (an entity-sync configuration deleted).
/// </param>
/// <param name="ChangedAt">When the change was made (UTC; stores keep it to the microsecond).</param>
/// <param name="ChangedBy">Who made it: the authenticated user over HTTP, or the actor the caller gave; <see langword="null"/> when not known.</param>
/// <param name="Values">
/// Each value the change touched, old and new, as text (a control: <c>paused</c> or <c>disabled</c>, <c>true</c> or
/// <c>false</c>; a definition: each field whose effective value or source changed). A change that left a value as it was
/// (pausing a paused job) is recorded too, with the old value equal to the new one. An entity-sync change lists the
/// configuration fields it wrote (<c>deleted</c>, <c>enabled</c>, <c>paused</c>, <c>incremental-sync</c>, <c>targets</c>);
/// old values are <see langword="null"/> for a type that was not configured.
/// </param>
public sealed record OperatorChange(string Kind, string Name, string Action, DateTimeOffset ChangedAt, string? ChangedBy, IReadOnlyList<OperatorChangeValue> Values);
