using Commerce.Jobs.Storage;

namespace Commerce.Jobs.History;

/// <summary>One job's runs in memory: a ring buffer that grows by doubling and is trimmed from its oldest end. Not thread-safe: callers lock it.</summary>
internal sealed class RunHistory
{
    private JobRun[] _items = new JobRun[4];
    private int _oldest;

    public int Count { get; private set; }

    public JobRun Oldest => _items[_oldest];

    public void AddNewest(JobRun run)
    {
        if (Count == _items.Length)
        {
            var grown = new JobRun[_items.Length * 2];
            for (var i = 0; i < Count; i++)
            {
                grown[i] = _items[(_oldest + i) % _items.Length];
            }

            _items = grown;
            _oldest = 0;
        }

        _items[(_oldest + Count) % _items.Length] = run;
        Count++;
    }

    public void RemoveOldest()
    {
        _items[_oldest] = null!;
        _oldest = (_oldest + 1) % _items.Length;
        Count--;
    }

    /// <summary>
    /// Finds a run from the newest end (a run just ended is found at once) and the outcome of the run before it. Every
    /// success's recovery check asks this, and a lagging check scans far (or all: a run trimmed already), so the scan
    /// steps through the ring without a division per run.
    /// </summary>
    public RunPredecessor Predecessor(Guid runId)
    {
        var items = _items;
        var position = (_oldest + Count) % items.Length;   // one past the newest
        for (var i = Count - 1; i >= 0; i--)
        {
            position = (position == 0 ? items.Length : position) - 1;
            if (items[position].RunId == runId)
            {
                return new RunPredecessor(true, i > 0 ? items[(position == 0 ? items.Length : position) - 1].Outcome : null);
            }
        }

        return default;
    }

    /// <summary>Gets up to <paramref name="max"/> runs, newest first.</summary>
    public JobRun[] Newest(int max)
    {
        var result = new JobRun[Math.Min(max, Count)];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = _items[(_oldest + Count - 1 - i) % _items.Length];
        }

        return result;
    }
}
