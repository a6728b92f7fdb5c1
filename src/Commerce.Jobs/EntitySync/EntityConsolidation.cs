using Commerce.Jobs.Storage;

namespace Commerce.Jobs.EntitySync;

/// <summary>
/// The rules of held entity changes, as every <see cref="IEntitySyncStore"/> applies them (the in-memory store calls
/// these; the SQL stores state the same rules in SQL): changes of an id are ordered by <see cref="Position"/>; a change
/// replaces the held one when it comes after it (<see cref="Supersedes"/>) and is never held when it is stale against
/// the delivered one (<see cref="IsStale"/>); a claim takes a held row, waits, or drops it (<see cref="Claim"/>); an
/// outcome settles it (<see cref="Complete"/>) and is counted (<see cref="Count"/>). Pure: no clock, no I/O, no state;
/// the lanes that deliver held changes keep none either.
/// </summary>
internal static class EntityConsolidation
{
    /// <summary>What a claim does with a held row.</summary>
    public enum ClaimVerdict
    {
        /// <summary>Not claimable now: before the claim's sequence, leased, not yet due, or an upsert held by a pause.</summary>
        Wait,

        /// <summary>Stale against the delivered change: removed, not handed out, and the claim goes on past it.</summary>
        Drop,

        /// <summary>Handed out under the claimer's lease.</summary>
        Take,
    }

    /// <summary>Whether <paramref name="change"/> replaces the held change of its id: it comes after it.</summary>
    public static bool Supersedes(Position change, Position held) => change > held;

    /// <summary>
    /// Whether a change is stale against its id's delivered change: an incremental one at or below it, a repair below it
    /// (a repair may resend the delivered change, that is its purpose). A stale change is neither held nor handed out.
    /// </summary>
    public static bool IsStale(Position change, bool repair, Position? delivered) =>
        delivered is { } at && (repair ? change < at : change <= at);

    /// <summary>
    /// The row held after adding <paramref name="change"/>, or <see langword="null"/> when the change is not held (stale,
    /// or not after the held one: the held row stays as it is). A replacing change takes a new sequence and clears
    /// attempts, error and due time, but keeps the lease: the owner delivering the old change keeps the id until it completes.
    /// </summary>
    public static HeldRow? Add(HeldRow? held, EntityChange change, bool repair, Position? delivered, long sequence)
    {
        var position = Position.Of(change);
        if (IsStale(position, repair, delivered) || (held is { } row && !Supersedes(position, row.Position)))
        {
            return null;
        }

        return new HeldRow(change, repair, sequence, held?.LeaseOwner, held?.LeaseUntil);
    }

    /// <summary>What <paramref name="claim"/> does with a held row, given its id's delivered change.</summary>
    public static ClaimVerdict Claim(in HeldRow row, Position? delivered, EntityChangeClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (row.Sequence <= claim.AfterSequence
            || row.LeaseUntil > claim.Now
            || row.AvailableAt > claim.Now
            || (claim.HoldUpserts && !row.Position.Delete))
        {
            return ClaimVerdict.Wait;
        }

        return IsStale(row.Position, row.Repair, delivered) ? ClaimVerdict.Drop : ClaimVerdict.Take;
    }

    /// <summary>A held row handed out to <paramref name="claim"/>'s owner.</summary>
    public static HeldRow Lease(in HeldRow row, EntityChangeClaim claim) => row with { LeaseOwner = claim.Owner, LeaseUntil = claim.LeaseUntil };

    /// <summary>
    /// The held row after <paramref name="owner"/> completes a change of its id, or <see langword="null"/> when it is
    /// removed. A row another owner holds is not touched. Delivered or failed for good: removed unless it comes after the
    /// completed change (replaced meanwhile: only the lease ends). Skipped: the lease ends, and when the row is still
    /// that change it counts an attempt, keeps the error and waits until <paramref name="retrySkippedAt"/>. Released
    /// unattempted: the lease ends.
    /// </summary>
    public static HeldRow? Complete(in HeldRow row, string owner, EntityChangeCompletion completion, DateTimeOffset retrySkippedAt)
    {
        if (!string.Equals(row.LeaseOwner, owner, StringComparison.Ordinal))
        {
            return row;
        }

        var completed = Position.Of(completion.Change);
        var released = row with { LeaseOwner = null, LeaseUntil = null };
        return completion.Status switch
        {
            RecordStatus.Delivered or RecordStatus.PermanentFailure when row.Position <= completed => null,
            RecordStatus.Skipped when row.Position == completed =>
                released with { Attempts = row.Attempts + 1, LastError = completion.Error, AvailableAt = retrySkippedAt },
            _ => released,
        };
    }

    /// <summary>
    /// Whether a delivered change becomes its id's delivered one (with its time): the delivered change only moves forward,
    /// and the same change delivered again renews its time (a tombstone is kept from its last delivery).
    /// </summary>
    public static bool Advances(Position completed, Position? delivered) => delivered is not { } at || completed >= at;

    /// <summary>
    /// The counts after an outcome at <paramref name="now"/> (whoever owns the row: the target had the attempt). The last
    /// delivered version is the highest delivered, its time the time of the latest delivery.
    /// </summary>
    public static EntitySyncCounts Count(EntitySyncCounts counts, EntityChangeCompletion completion, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(counts);
        return completion.Status switch
        {
            RecordStatus.Delivered => counts with
            {
                Delivered = counts.Delivered + 1,
                LastDeliveredVersion = Math.Max(counts.LastDeliveredVersion ?? long.MinValue, completion.Change.Version),
                LastDeliveredAt = now,
            },
            RecordStatus.Skipped => counts with { Skipped = counts.Skipped + 1, LastError = completion.Error, LastErrorAt = now },
            RecordStatus.PermanentFailure => counts with { Failed = counts.Failed + 1, LastError = completion.Error, LastErrorAt = now },
            _ => counts,
        };
    }

    /// <summary>
    /// Describes the first invariant a snapshot of held rows breaks, or returns <see langword="null"/>: one row per id and
    /// per sequence, a lease has both its owner and its end, and a row never attempted has no error and no due time.
    /// </summary>
    public static string? FindHeldViolation(IEnumerable<HeldRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var sequences = new HashSet<long>();
        foreach (var row in rows)
        {
            if (!ids.Add(row.Change.Id) || !sequences.Add(row.Sequence))
            {
                return $"{row.Change} (sequence {row.Sequence}) is held twice.";
            }

            if ((row.LeaseOwner is null) != (row.LeaseUntil is null))
            {
                return $"{row.Change} has half a lease.";
            }

            if (row.Attempts < 0 || (row.Attempts == 0 && (row.AvailableAt is not null || row.LastError is not null)))
            {
                return $"{row.Change} has {row.Attempts} attempts, due at {row.AvailableAt}, error '{row.LastError}'.";
            }
        }

        return null;
    }

    /// <summary>A held change of one (type, target, id), as the store keeps it.</summary>
    /// <param name="Change">The change.</param>
    /// <param name="Repair">Whether it is a repair (may resend the delivered change, never one below it).</param>
    /// <param name="Sequence">The store-wide sequence of its write (claims read in this order).</param>
    /// <param name="LeaseOwner">The owner delivering it, if leased.</param>
    /// <param name="LeaseUntil">The end of the lease, if leased.</param>
    /// <param name="Attempts">How many deliveries of it were skipped.</param>
    /// <param name="LastError">The error of the last skipped delivery.</param>
    /// <param name="AvailableAt">When a skipped change is claimable again.</param>
    internal readonly record struct HeldRow(
        EntityChange Change,
        bool Repair,
        long Sequence,
        string? LeaseOwner = null,
        DateTimeOffset? LeaseUntil = null,
        int Attempts = 0,
        string? LastError = null,
        DateTimeOffset? AvailableAt = null)
    {
        /// <summary>Gets the change's place in the order of its id's changes.</summary>
        public Position Position => Position.Of(Change);

        /// <summary>The row as a claim hands it out.</summary>
        public HeldEntityChange ToHeld() => new(Change, Sequence, Repair, Attempts, LastError);
    }

    /// <summary>A change's place in the order of an id's changes: by version, and at one version a delete after an upsert.</summary>
    internal readonly record struct Position(long Version, bool Delete) : IComparable<Position>
    {
        public static Position Of(EntityChange change) => new(change.Version, change.Kind == EntityChangeKind.Delete);

        public static bool operator <(Position a, Position b) => a.CompareTo(b) < 0;

        public static bool operator >(Position a, Position b) => a.CompareTo(b) > 0;

        public static bool operator <=(Position a, Position b) => a.CompareTo(b) <= 0;

        public static bool operator >=(Position a, Position b) => a.CompareTo(b) >= 0;

        public int CompareTo(Position other) =>
            Version != other.Version ? Version.CompareTo(other.Version) : Delete.CompareTo(other.Delete);

        public override string ToString() => Delete ? $"v{Version} (delete)" : $"v{Version}";
    }
}
