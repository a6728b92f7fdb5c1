using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Commerce.Jobs.EntitySync;

/// <summary>
/// The consolidation rules of one entity type and target: which change wins, what a pause holds, what a delete drops.
/// It keeps, per entity id, the changes waiting and in flight and the version delivered last, and says which changes
/// to deliver next. No clock, no I/O, no lock: <see cref="EntitySyncLane"/> calls it under its lock.
/// </summary>
/// <remarks>
/// Waiting changes are kept per entity id, not as a queue of changes: at most one upsert and one delete per id (the
/// newest of each), plus the version delivered last. A change not newer than what the target has or is waiting for is
/// stale and dropped; a delete drops the waiting upsert of its id; while the type is not paused an upsert drops the
/// waiting delete of its id (while paused the delete still goes out, the upsert waits). So memory grows with ids, not
/// with changes, and a hundred edits of one id during a pause become one delivery. Ids wait in two FIFO queues
/// (deletes, upserts; each id at most once in each); a paused type takes only deletes. A change dropped that the store
/// may hold is added to the caller's <c>forget</c> list, for the store to forget.
/// </remarks>
internal sealed partial class EntityConsolidation
{
    private const long NoVersion = long.MinValue;

    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly Queue<string> _deletes = new();
    private readonly Queue<string> _upserts = new();
    private readonly List<string> _deferred = [];
    private long _pending;

    /// <summary>What <see cref="Offer"/> did with a change: held (<c>Accepted</c>, replacing an older waiting one of its kind),
    /// dropped as not newer than what the target has or waits for (<c>Stale</c>), or already waiting or in flight (<c>Duplicate</c>).</summary>
    public enum Acceptance
    {
        Accepted,
        Stale,
        Duplicate,
    }

    /// <summary>Gets or sets a value indicating whether the type is paused: upserts are held, deletes still go out.</summary>
    public bool Paused { get; set; }

    /// <summary>Gets the number of changes waiting (upserts and deletes) or in flight: the status's pending count.</summary>
    public long Pending => _pending;

    /// <summary>Gets a value indicating whether a change skipped by a delivery waits for the next pass (<see cref="RequeueDeferred"/>).</summary>
    public bool HasDeferred => _deferred.Count > 0;

    /// <summary>Records a version delivered before (read back from the store); waiting changes not newer than it are dropped.</summary>
    public void RestoreDelivered(string id, long version, ref List<EntityChange>? forget)
    {
        var slot = GetSlot(id);

        // The store keeps versions without their kind here: taken as an upsert's, so a delete of that version still goes out.
        slot.Delivered = Position.Max(slot.Delivered, new Position(version, Delete: false));

        // Published before the start, not after what a previous run delivered: stale after all.
        if (slot.Upsert is { } upsert && Position.Of(upsert) <= slot.Delivered)
        {
            Drop(slot, upsert, ref forget);
        }

        if (slot.Delete is { } delete && Position.Of(delete) <= slot.Delivered)
        {
            Drop(slot, delete, ref forget);
        }
    }

    /// <summary>
    /// Merges one change into the waiting set. A change <paramref name="fromSource"/> (read by a full or targeted sync) is
    /// not held in the store, and is accepted at the version the target already has (a repair).
    /// </summary>
    public Acceptance Offer(EntityChange change, bool fromSource, ref List<EntityChange>? forget)
    {
        var slot = GetSlot(change.Id);
        // Changes are ordered by version, and at one version a delete after an upsert (the store's order).
        var position = Position.Of(change);
        var waiting = Position.Max(Position.Of(slot.InFlight), Position.Max(Position.Of(slot.Upsert), Position.Of(slot.Delete)));
        if (position <= waiting || position < slot.Delivered || (!fromSource && position == slot.Delivered))
        {
            // The same change waiting or in flight keeps its place in the store; anything else older is stale.
            var same = Held(slot, change.Kind);
            return same?.Version == change.Version || (slot.InFlight is { } inFlight && inFlight.Kind == change.Kind && inFlight.Version == change.Version)
                ? Acceptance.Duplicate
                : Acceptance.Stale;
        }

        if (change.Kind == EntityChangeKind.Delete)
        {
            if (slot.Upsert is { } upsert)
            {
                // The store dropped a published upsert with the delete; an upsert from the source is not held there.
                List<EntityChange>? dropped = null;
                Drop(slot, upsert, ref (fromSource ? ref forget : ref dropped));
            }

            _pending += slot.Delete is null ? 1 : 0;
            slot.Delete = change;
            if (!slot.DeleteQueued)
            {
                slot.DeleteQueued = true;
                _deletes.Enqueue(change.Id);
            }
        }
        else
        {
            if (!Paused && slot.Delete is { } delete)
            {
                Drop(slot, delete, ref forget);
            }

            _pending += slot.Upsert is null ? 1 : 0;
            slot.Upsert = change;
            if (!slot.UpsertQueued)
            {
                slot.UpsertQueued = true;
                _upserts.Enqueue(change.Id);
            }
        }

        return Acceptance.Accepted;
    }

    /// <summary>
    /// Takes the changes to deliver next into <paramref name="batch"/>, at most its length, and marks them in flight:
    /// deletes first (never paused), then upserts unless paused. An id with a change in flight waits for the next batch.
    /// </summary>
    /// <returns>How many changes were taken.</returns>
    public int Take(Span<EntityChange> batch, ref List<EntityChange>? forget)
    {
        var count = 0;
        List<string>? later = null;
        while (count < batch.Length && _deletes.TryDequeue(out var id))
        {
            var slot = _slots[id];
            slot.DeleteQueued = false;
            if (slot.Delete is not { } delete)
            {
                continue;
            }

            if (!Paused && slot.Upsert is { } newer && newer.Version > delete.Version)
            {
                // Held while paused beside a newer upsert; resumed, the upsert supersedes it.
                Drop(slot, delete, ref forget);
                continue;
            }

            if (slot.InFlight is not null)
            {
                // Its upsert is still being delivered (the lane takes a batch only when none is in flight): next batch.
                (later ??= []).Add(id);
                continue;
            }

            slot.Delete = null;
            slot.InFlight = delete;
            batch[count++] = delete;
        }

        while (!Paused && count < batch.Length && _upserts.TryDequeue(out var id))
        {
            var slot = _slots[id];
            slot.UpsertQueued = false;
            if (slot.Upsert is not { } upsert)
            {
                continue;
            }

            if (slot.InFlight is not null)
            {
                // Its delete is in this batch (cannot happen by the rules above; kept safe): next batch.
                (later ??= []).Add(id);
                continue;
            }

            if (slot.Delete is { } older && older.Version < upsert.Version)
            {
                Drop(slot, older, ref forget);
            }

            slot.Upsert = null;
            slot.InFlight = upsert;
            batch[count++] = upsert;
        }

        later?.ForEach(id => Enqueue(id, _slots[id]));
        return count;
    }

    /// <summary>Settles a change in flight that the target confirmed: its version is the id's delivered one.</summary>
    public void Delivered(EntityChange change)
    {
        var slot = Settle(change);
        slot.Delivered = Position.Max(slot.Delivered, Position.Of(change));
        _pending--;
    }

    /// <summary>Settles a change in flight that the target rejected for good: it is not tried again (and the store forgets it).</summary>
    public void Failed(EntityChange change, ref List<EntityChange>? forget)
    {
        Settle(change);
        _pending--;
        (forget ??= []).Add(change);
    }

    /// <summary>
    /// Returns a change in flight that was not delivered to the waiting set, unless a newer change of its entity arrived
    /// meanwhile (then it is superseded and forgotten). Queued again at once when <paramref name="requeue"/> (a cancelled
    /// delivery), else at the next pass (<see cref="RequeueDeferred"/>: skipped after its retries).
    /// </summary>
    public void Release(EntityChange change, bool requeue, ref List<EntityChange>? forget)
    {
        var slot = Settle(change);
        var superseded = change.Kind == EntityChangeKind.Upsert
            ? slot.Upsert is not null || slot.Delete is not null
            : slot.Delete is not null || (slot.Upsert is not null && !Paused);
        if (superseded)
        {
            _pending--;
            (forget ??= []).Add(change);
            return;
        }

        Held(slot, change.Kind) = change;
        if (requeue)
        {
            Enqueue(change.Id, slot);
        }
        else
        {
            _deferred.Add(change.Id);
        }
    }

    /// <summary>Queues again the changes released for the next pass.</summary>
    public void RequeueDeferred()
    {
        foreach (var id in _deferred)
        {
            Enqueue(id, _slots[id]);
        }

        _deferred.Clear();
    }

    private Slot Settle(EntityChange change)
    {
        var slot = _slots[change.Id];
        Debug.Assert(ReferenceEquals(slot.InFlight, change), $"{change} is settled, but it is not in flight.");
        slot.InFlight = null;
        return slot;
    }

    /// <summary>The waiting change of <paramref name="kind"/> of an id.</summary>
    private static ref EntityChange? Held(Slot slot, EntityChangeKind kind) =>
        ref (kind == EntityChangeKind.Upsert ? ref slot.Upsert : ref slot.Delete);

    /// <summary>Drops a waiting change (<paramref name="change"/> is its id's waiting one of its kind).</summary>
    private void Drop(Slot slot, EntityChange change, ref List<EntityChange>? forget)
    {
        Debug.Assert(ReferenceEquals(Held(slot, change.Kind), change), $"{change} is dropped, but it does not wait.");
        Held(slot, change.Kind) = null;
        _pending--;
        (forget ??= []).Add(change);
    }

    private void Enqueue(string id, Slot slot)
    {
        if (slot.Delete is not null && !slot.DeleteQueued)
        {
            slot.DeleteQueued = true;
            _deletes.Enqueue(id);
        }

        if (slot.Upsert is not null && !slot.UpsertQueued)
        {
            slot.UpsertQueued = true;
            _upserts.Enqueue(id);
        }
    }

    private Slot GetSlot(string id)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_slots, id, out _);
        return slot ??= new Slot();
    }

    /// <summary>What is known of one entity id.</summary>
    private sealed class Slot
    {
        public Position Delivered = Position.None;
        public EntityChange? InFlight;
        public EntityChange? Upsert;
        public EntityChange? Delete;
        public bool UpsertQueued;
        public bool DeleteQueued;
    }

    /// <summary>A change's place in the order of an id's changes: by version, and at one version a delete after an upsert.</summary>
    internal readonly record struct Position(long Version, bool Delete) : IComparable<Position>
    {
        public static readonly Position None = new(NoVersion, Delete: false);

        public static Position Of(EntityChange? change) =>
            change is null ? None : new(change.Version, change.Kind == EntityChangeKind.Delete);

        public static Position Max(Position a, Position b) => a >= b ? a : b;

        public static bool operator <(Position a, Position b) => a.CompareTo(b) < 0;

        public static bool operator >(Position a, Position b) => a.CompareTo(b) > 0;

        public static bool operator <=(Position a, Position b) => a.CompareTo(b) <= 0;

        public static bool operator >=(Position a, Position b) => a.CompareTo(b) >= 0;

        public int CompareTo(Position other) =>
            Version != other.Version ? Version.CompareTo(other.Version) : Delete.CompareTo(other.Delete);

        public override string ToString() => Delete ? $"v{Version} (delete)" : $"v{Version}";
    }
}
