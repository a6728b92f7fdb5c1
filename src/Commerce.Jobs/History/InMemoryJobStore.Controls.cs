using Commerce.Jobs.Storage;

namespace Commerce.Jobs.History;

/// <summary>The in-memory store's operator state: per kind and name (case-insensitive), each field with its newest change.</summary>
internal sealed partial class InMemoryJobStore
{
    // kind (ordinal) → name (case-insensitive) → field (ordinal) → the field and the name as spelled by its write.
    private readonly Dictionary<string, Dictionary<string, Dictionary<string, (string Name, OperatorStateField Field)>>> _operatorState = new(StringComparer.Ordinal);

    public ValueTask<IReadOnlyList<OperatorStateEntry>> GetAsync(string kind, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kind);
        lock (_gate)
        {
            if (!_operatorState.TryGetValue(kind, out var entries))
            {
                return ValueTask.FromResult<IReadOnlyList<OperatorStateEntry>>([]);
            }

            return ValueTask.FromResult<IReadOnlyList<OperatorStateEntry>>(
            [
                .. entries.Values.Select(fields => new OperatorStateEntry(
                    kind,
                    fields.Values.MaxBy(f => f.Field.ChangedAt).Name,
                    [.. fields.Values.Select(f => f.Field)])),
            ]);
        }
    }

    public ValueTask SetAsync(string kind, string name, IReadOnlyList<OperatorStateField> fields, CancellationToken cancellationToken)
    {
        OperatorStateArguments.Check(kind, name, fields);

        lock (_gate)
        {
            foreach (var field in fields)
            {
                var written = field with { ChangedAt = Microseconds(field.ChangedAt) };
                if (!_operatorState.TryGetValue(kind, out var entries))
                {
                    _operatorState[kind] = entries = new(StringComparer.OrdinalIgnoreCase);
                }

                if (!entries.TryGetValue(name, out var stored))
                {
                    entries[name] = stored = new(StringComparer.Ordinal);
                }

                // Newest wins per field; a tie keeps the stored one.
                if (!stored.TryGetValue(written.Name, out var current) || current.Field.ChangedAt < written.ChangedAt)
                {
                    stored[written.Name] = (name, written);
                }
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>A time as every store keeps it: UTC, to the microsecond (truncated).</summary>
    private static DateTimeOffset Microseconds(DateTimeOffset at) => new(at.UtcTicks - (at.UtcTicks % 10), TimeSpan.Zero);
}
