namespace Commerce.Jobs.Storage;

/// <summary>
/// The operator-state plane: everything an operator sets at run time (jobs paused or disabled, entity-sync
/// configurations), shared by every host of the application and kept across restarts. An entry is keyed by
/// (<see cref="OperatorStateEntry.Kind"/>, <see cref="OperatorStateEntry.Name"/>) and holds named fields, each a text
/// value with the time it was changed.
/// </summary>
/// <remarks>
/// <para>
/// <b>Merge rule: the newest change wins per field, not per entry.</b> <see cref="SetAsync"/> replaces a stored field
/// only when the written field's <see cref="OperatorStateField.ChangedAt"/> is strictly newer; on a tie the stored field
/// is kept. Hosts write late and out of order, each writing only the fields its operator changed, so two hosts changing
/// different fields of one entry (one pauses a job, the other disables it) both keep their change.
/// </para>
/// <para>
/// Kinds (<see cref="OperatorStateKinds"/>) and field names are short identifiers the library defines; they compare
/// ordinally. Names (job names, entity types) compare case-insensitively, as everywhere in the library; an entry is
/// returned with its name as spelled by its newest field's write. Names and values are outside text and are kept
/// exactly, whatever they hold (control characters, NUL, lone surrogates, any length); nothing is cut. Times are kept
/// to the microsecond (truncated), in UTC.
/// </para>
/// <para>Implementations are thread-safe.</para>
/// </remarks>
public interface IOperatorStateStore
{
    /// <summary>Gets every entry of a kind, each with all its stored fields.</summary>
    /// <param name="kind">The kind (<see cref="OperatorStateKinds"/>).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>One entry per name with at least one stored field, in no particular order; none when nothing was stored.</returns>
    ValueTask<IReadOnlyList<OperatorStateEntry>> GetAsync(string kind, CancellationToken cancellationToken);

    /// <summary>
    /// Writes fields of one entry: each replaces the stored field of that name only when it is newer
    /// (<see cref="OperatorStateField.ChangedAt"/> strictly later; a tie keeps the stored one). Fields not written are
    /// left as they are.
    /// </summary>
    /// <param name="kind">The kind (<see cref="OperatorStateKinds"/>).</param>
    /// <param name="name">The entry's name (a job name, an entity type).</param>
    /// <param name="fields">The fields changed; a field name given twice is applied in order, by the same rule.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the fields are stored.</returns>
    ValueTask SetAsync(string kind, string name, IReadOnlyList<OperatorStateField> fields, CancellationToken cancellationToken);
}
