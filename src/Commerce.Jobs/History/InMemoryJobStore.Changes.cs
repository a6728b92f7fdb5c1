using Commerce.Jobs.Storage;

namespace Commerce.Jobs.History;

/// <summary>The in-memory store's audit trail: per kind and name (case-insensitive), the newest changes, oldest first.</summary>
internal sealed partial class InMemoryJobStore
{
    // (kind, name) → the kept changes, oldest first (by time, then append order).
    private readonly Dictionary<(string Kind, string Name), List<OperatorChange>> _changes = new(ChangeKeyComparer.Instance);

    public ValueTask AppendChangeAsync(OperatorChange change, CancellationToken cancellationToken)
    {
        OperatorChangeArguments.Check(change);
        var kept = change with { ChangedAt = OperatorChangeArguments.Microseconds(change.ChangedAt), Values = [.. change.Values] };
        lock (_gate)
        {
            if (!_changes.TryGetValue((kept.Kind, kept.Name), out var changes))
            {
                _changes[(kept.Kind, kept.Name)] = changes = [];
            }

            // After every change not newer than it: a change that arrives late takes its place by time.
            var at = changes.Count;
            while (at > 0 && changes[at - 1].ChangedAt > kept.ChangedAt)
            {
                at--;
            }

            changes.Insert(at, kept);
            if (changes.Count > OperatorChangeArguments.KeptPerName)
            {
                changes.RemoveRange(0, changes.Count - OperatorChangeArguments.KeptPerName);
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<OperatorChange>> GetChangesAsync(string kind, string name, int limit, CancellationToken cancellationToken)
    {
        OperatorChangeArguments.Check(kind, name, limit);
        lock (_gate)
        {
            if (!_changes.TryGetValue((kind, name), out var changes))
            {
                return ValueTask.FromResult<IReadOnlyList<OperatorChange>>([]);
            }

            var newest = new OperatorChange[Math.Min(limit, changes.Count)];
            for (var i = 0; i < newest.Length; i++)
            {
                newest[i] = changes[changes.Count - 1 - i];
            }

            return ValueTask.FromResult<IReadOnlyList<OperatorChange>>(newest);
        }
    }

    /// <summary>Kinds compare ordinally, names case-insensitively.</summary>
    private sealed class ChangeKeyComparer : IEqualityComparer<(string Kind, string Name)>
    {
        public static readonly ChangeKeyComparer Instance = new();

        public bool Equals((string Kind, string Name) x, (string Kind, string Name) y) =>
            string.Equals(x.Kind, y.Kind, StringComparison.Ordinal) && string.Equals(x.Name, y.Name, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode((string Kind, string Name) key) =>
            HashCode.Combine(StringComparer.Ordinal.GetHashCode(key.Kind), StringComparer.OrdinalIgnoreCase.GetHashCode(key.Name));
    }
}
