namespace Commerce.Jobs.Storage;

/// <summary>
/// The audit trail of operators' changes (<see cref="OperatorChange"/>): pause, resume, enable and disable of jobs, job
/// definitions changed or reset, entity-sync configurations. Shared by every host of the store and kept across restarts.
/// </summary>
/// <remarks>
/// <para>
/// <b>Bounded</b>: the store keeps the newest 100 changes per (kind, name); an append that makes more drops the oldest.
/// </para>
/// <para>
/// Kinds are short identifiers the library defines (<see cref="OperatorStateKinds"/>) and compare ordinally. Names (job
/// names, entity types) compare case-insensitively, as everywhere in the library. Names, actors and values are outside
/// text and are kept exactly, whatever they hold (control characters, NUL, lone surrogates, any length). Times are kept
/// to the microsecond (truncated), in UTC.
/// </para>
/// <para>Implementations are thread-safe.</para>
/// </remarks>
public interface IOperatorChangeLog
{
    /// <summary>Appends a change, dropping the oldest of its (kind, name) beyond the newest 100.</summary>
    /// <param name="change">The change.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the change is stored.</returns>
    ValueTask AppendChangeAsync(OperatorChange change, CancellationToken cancellationToken);

    /// <summary>Gets the newest changes of one (kind, name), newest first (by <see cref="OperatorChange.ChangedAt"/>; of changes made at the same time, the later appended first).</summary>
    /// <param name="kind">The kind (<see cref="OperatorStateKinds"/>).</param>
    /// <param name="name">The name (a job name, an entity type), compared case-insensitively.</param>
    /// <param name="limit">The most changes to return (positive).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The changes, each with its name as spelled when it was appended; none when nothing was stored.</returns>
    ValueTask<IReadOnlyList<OperatorChange>> GetChangesAsync(string kind, string name, int limit, CancellationToken cancellationToken);
}
