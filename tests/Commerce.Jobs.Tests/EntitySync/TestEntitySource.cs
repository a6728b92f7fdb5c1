using System.Runtime.CompilerServices;

namespace Commerce.Jobs.Tests.EntitySync;

/// <summary>An entity source over a fixed list; <see cref="AfterEach"/> runs after each entity is handed out (to race a full sync).</summary>
internal sealed class TestEntitySource(params EntityChange[] entities) : IEntitySource
{
    public List<EntityChange> Entities { get; } = [.. entities];

    /// <summary>Gets or sets a hook awaited after the entity at an index was handed out.</summary>
    public Func<int, Task>? AfterEach { get; set; }

    /// <summary>Gets or sets a hook awaited after the entity at an index was handed out, with the read's cancellation token.</summary>
    public Func<int, CancellationToken, Task>? AfterEachCancellable { get; set; }

    public int FullReads;

    public async IAsyncEnumerable<EntityChange> ReadAllAsync(string entityType, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref FullReads);
        var snapshot = Entities.ToArray();
        for (var i = 0; i < snapshot.Length; i++)
        {
            yield return snapshot[i];
            if (AfterEach is { } after)
            {
                await after(i);
            }

            if (AfterEachCancellable is { } cancellable)
            {
                await cancellable(i, cancellationToken);
            }
        }
    }

    public async IAsyncEnumerable<EntityChange> ReadAsync(string entityType, IReadOnlyCollection<string> ids, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        foreach (var entity in Entities.Where(e => ids.Contains(e.Id)))
        {
            yield return entity;
        }
    }
}
