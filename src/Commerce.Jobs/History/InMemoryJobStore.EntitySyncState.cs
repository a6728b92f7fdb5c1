using Commerce.Jobs.Storage;
using HeldRow = Commerce.Jobs.EntitySync.EntityConsolidation.HeldRow;
using Position = Commerce.Jobs.EntitySync.EntityConsolidation.Position;

namespace Commerce.Jobs.History;

/// <summary>The in-memory store's entity-sync state per (type, target), kept in the order claims read it.</summary>
internal sealed partial class InMemoryJobStore
{
    // Orders the claim queue by sequence only (sequences are unique; the id rides along).
    private static readonly IComparer<(long Sequence, string Id)> BySequence = Comparer<(long Sequence, string Id)>.Create((a, b) => a.Sequence.CompareTo(b.Sequence));

    // Orders skipped rows by due time, then sequence.
    private static readonly IComparer<(DateTimeOffset At, long Sequence, string Id)> ByDueTime =
        Comparer<(DateTimeOffset At, long Sequence, string Id)>.Create((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.Sequence.CompareTo(b.Sequence));

    /// <summary>
    /// One entity type's state at one target: the held row per id, the delivered change per id, the counts; and the held
    /// rows in the order claims read them: a skipped row (with a due time) waits by due time until a claim at or after
    /// it moves it (due time cleared) into the claimable rows, in sequence order, with the deletes among them apart.
    /// </summary>
    private sealed class EntitySyncState
    {
        public Dictionary<string, HeldRow> Held { get; } = new(StringComparer.Ordinal);

        /// <summary>Gets the claimable held rows' (sequence, id), in sequence order: what claims walk.</summary>
        public SortedSet<(long Sequence, string Id)> Queue { get; } = new(BySequence);

        /// <summary>Gets the claimable held deletes' (sequence, id), in sequence order: what claims walk while upserts are held back.</summary>
        public SortedSet<(long Sequence, string Id)> Deletes { get; } = new(BySequence);

        /// <summary>Gets the skipped rows' (due time, sequence, id), by due time: out of the claims' way until due.</summary>
        public SortedSet<(DateTimeOffset At, long Sequence, string Id)> Waiting { get; } = new(ByDueTime);

        public Dictionary<string, Delivery> Delivered { get; } = new(StringComparer.Ordinal);

        public EntitySyncCounts Counts { get; set; } = NoCounts;

        public Position? DeliveredPosition(string id) =>
            Delivered.TryGetValue(id, out var delivered) ? new Position(delivered.Version, delivered.Kind == EntityChangeKind.Delete) : null;

        /// <summary>Holds a row with a new sequence, in place of its id's held one.</summary>
        public void Hold(HeldRow row)
        {
            Drop(row.Change.Id);
            Held[row.Change.Id] = row;
            Enter(row);
        }

        /// <summary>Replaces its id's held row by <paramref name="row"/> (same change and sequence: a lease or an outcome).</summary>
        public void Set(HeldRow row)
        {
            var old = Held[row.Change.Id];
            Held[row.Change.Id] = row;
            if (old.AvailableAt != row.AvailableAt)
            {
                Leave(old);
                Enter(row);
            }
        }

        public void Drop(string id)
        {
            if (Held.Remove(id, out var row))
            {
                Leave(row);
            }
        }

        /// <summary>Makes the skipped rows due at <paramref name="now"/> claimable again.</summary>
        public void Promote(DateTimeOffset now)
        {
            while (Waiting.Count > 0 && Waiting.Min.At <= now)
            {
                Set(Held[Waiting.Min.Id] with { AvailableAt = null });
            }
        }

        private void Enter(HeldRow row)
        {
            if (row.AvailableAt is { } at)
            {
                Waiting.Add((at, row.Sequence, row.Change.Id));
                return;
            }

            Queue.Add((row.Sequence, row.Change.Id));
            if (row.Position.Delete)
            {
                Deletes.Add((row.Sequence, row.Change.Id));
            }
        }

        private void Leave(HeldRow row)
        {
            if (row.AvailableAt is { } at)
            {
                Waiting.Remove((at, row.Sequence, row.Change.Id));
                return;
            }

            Queue.Remove((row.Sequence, row.Change.Id));
            Deletes.Remove((row.Sequence, row.Change.Id));
        }
    }

    /// <summary>The delivered change of one id: its version, kind and time.</summary>
    private readonly record struct Delivery(long Version, EntityChangeKind Kind, DateTimeOffset At);
}
