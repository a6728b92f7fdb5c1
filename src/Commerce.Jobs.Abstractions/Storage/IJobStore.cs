namespace Commerce.Jobs.Storage;

/// <summary>
/// A whole job store: everything that must outlive a run, as the sum of its roles — run history
/// (<see cref="IRunHistoryStore"/>), record inboxes and failures (<see cref="IRecordStore"/>), occurrence claims and
/// checkpoints (<see cref="IScheduleStore"/>), held entity changes (<see cref="IEntitySyncStore"/>), operator state
/// (<see cref="IOperatorStateStore"/>) and the audit trail of operators' changes (<see cref="IOperatorChangeLog"/>). A
/// store implements all of them; <c>UseStore</c> takes it and registers it as each role too, so a part of the engine
/// depends only on the role it uses.
/// </summary>
/// <remarks>
/// The engine registers an in-memory store by default; durable stores come in adapter packages.
/// Implementations are thread-safe.
/// </remarks>
public interface IJobStore : IRunHistoryStore, IRecordStore, IScheduleStore, IEntitySyncStore, IOperatorStateStore, IOperatorChangeLog
{
}
