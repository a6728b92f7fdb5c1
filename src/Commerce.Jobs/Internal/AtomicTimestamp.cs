namespace Commerce.Jobs.Internal;

/// <summary>
/// A point in time (or none) written on one thread and read on others without a lock. A <see cref="DateTimeOffset"/>?
/// is a 16-byte struct plus a flag and can be read torn; this keeps its UTC ticks in one <see langword="long"/>, read
/// and written with <see cref="Volatile"/>. What is read back is the same instant, in UTC (offset zero).
/// </summary>
internal sealed class AtomicTimestamp
{
    // UTC ticks are never negative: the sentinel never clashes with a stored instant.
    private const long None = long.MinValue;

    private long _utcTicks = None;

    /// <summary>Reads the stored instant, in UTC, or <see langword="null"/> when none is stored.</summary>
    public DateTimeOffset? Read()
    {
        var ticks = Volatile.Read(ref _utcTicks);
        return ticks == None ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    /// <summary>Stores <paramref name="value"/>, or none.</summary>
    public void Write(DateTimeOffset? value) => Volatile.Write(ref _utcTicks, value is { } v ? v.UtcTicks : None);
}
