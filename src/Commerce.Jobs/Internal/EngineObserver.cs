using Commerce.Jobs.EntitySync;

namespace Commerce.Jobs.Internal;

/// <summary>
/// What the engine tells an observer: a run finished, a delivery was attempted, an entity-sync lane started or went
/// idle. Tests and benchmarks register one (<c>services.AddSingleton&lt;EngineObserver&gt;(…)</c>) to wait for these
/// moments instead of sleeping; a host registers none. The engine, the record jobs and the lanes resolve it once, when
/// they are built, and call it behind one null check, so with none registered nothing is called and nothing is measured.
/// </summary>
/// <remarks>
/// Calls come on the engine's threads, outside its locks, in the order each component reaches the moment (not globally
/// ordered). An override must be quick, and must neither block nor throw: what it throws surfaces as a fault of the
/// component that called it (a worker fault, a failed delivery pass).
/// </remarks>
internal abstract class EngineObserver
{
    /// <summary>A run is recorded and what follows it is triggered; also each run a shutdown abandoned, once recorded as cancelled.</summary>
    /// <param name="run">The run as recorded.</param>
    public virtual void RunCompleted(JobRun run)
    {
    }

    /// <summary>A delivery of a batch is about to start (the first try, or a retry within the window).</summary>
    /// <param name="name">The record job's name, or the entity type for entity synchronization.</param>
    /// <param name="attempt">0 for the batch's first delivery, then 1, 2, … for its retries (as <see cref="DeliveryBatch{T}.Attempt"/>).</param>
    /// <param name="startedAt">The time on the component's clock when the attempt started.</param>
    public virtual void DeliveryAttempted(string name, int attempt, DateTimeOffset startedAt)
    {
    }

    /// <summary>An entity-sync lane is about to start its worker (before it can go idle).</summary>
    /// <param name="lane">The lane; <see cref="EntitySyncLane.IsIdle"/> reads whether it is idle now.</param>
    public virtual void LaneStarted(EntitySyncLane lane)
    {
    }

    /// <summary>
    /// An entity-sync lane became idle: its worker waits with nothing it could deliver now (held upserts, or skipped
    /// changes waiting for their retry, may remain), or the lane stopped. It may be busy again by the time this is called.
    /// </summary>
    /// <param name="lane">The lane.</param>
    public virtual void LaneIdle(EntitySyncLane lane)
    {
    }
}
