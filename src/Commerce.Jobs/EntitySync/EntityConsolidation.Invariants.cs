using System.Diagnostics;

namespace Commerce.Jobs.EntitySync;

/// <summary>The invariants of <see cref="EntityConsolidation"/>, checked in debug builds and by its property tests.</summary>
internal sealed partial class EntityConsolidation
{
    /// <summary>Checks, in debug builds, the invariants <see cref="FindViolation"/> describes.</summary>
    [Conditional("DEBUG")]
    public void AssertInvariants()
    {
        var violation = FindViolation();
        Debug.Assert(violation is null, violation);
    }

    /// <summary>
    /// Describes the first invariant broken, or returns <see langword="null"/>: <see cref="Pending"/> counts every change
    /// waiting or in flight; a waiting change is not older than its id's delivered version, newer than its change in
    /// flight (one at most: one field), newer than a waiting delete (which drops older upserts), and queued or deferred.
    /// </summary>
    internal string? FindViolation()
    {
        HashSet<string>? deferred = _deferred.Count == 0 ? null : new(_deferred, StringComparer.Ordinal);
        long held = 0;
        foreach (var (id, slot) in _slots)
        {
            held += (slot.Upsert is null ? 0 : 1) + (slot.Delete is null ? 0 : 1) + (slot.InFlight is null ? 0 : 1);
            if ((Check(slot.Upsert, slot.UpsertQueued) ?? Check(slot.Delete, slot.DeleteQueued)) is { } violation)
            {
                return violation;
            }

            if (slot.Upsert is { } upsert && slot.Delete is { } delete && upsert.Version <= delete.Version)
            {
                return $"{upsert} waits beside {delete}, which should have dropped it.";
            }

            string? Check(EntityChange? waiting, bool queued) =>
                waiting is null ? null
                : Position.Of(waiting) < slot.Delivered ? $"{waiting} waits, but {slot.Delivered} was delivered."
                : slot.InFlight is { } inFlight && Position.Of(waiting) <= Position.Of(inFlight) ? $"{waiting} waits, but {inFlight} is in flight."
                : !queued && deferred?.Contains(id) != true ? $"{waiting} waits, but is neither queued nor deferred."
                : null;
        }

        return _pending == held ? null : $"Pending is {_pending}, but {held} changes wait or are in flight.";
    }

    /// <summary>Gets the changes waiting (not in flight), for tests.</summary>
    internal IEnumerable<EntityChange> Waiting() => _slots.Values.SelectMany(s => new[] { s.Delete, s.Upsert }).OfType<EntityChange>();
}
