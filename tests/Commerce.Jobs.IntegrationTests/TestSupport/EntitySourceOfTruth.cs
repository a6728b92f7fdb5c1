using System.Runtime.CompilerServices;

namespace Commerce.Jobs.IntegrationTests.TestSupport;

/// <summary>
/// The application's own data in an entity-sync test, shared by every host: each id's latest version, or that it was
/// deleted. A change is made here first and then published (as an application saves, then publishes); full and targeted
/// syncs read it as the hosts' <see cref="IEntitySource"/>.
/// </summary>
internal sealed class EntitySourceOfTruth(string entityType) : IEntitySource
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, (long Version, bool Deleted)> _entities = new(StringComparer.Ordinal);

    /// <summary>Changes an entity (a new, higher version; or deletes it at a new version) and returns the change to publish.</summary>
    public EntityChange Change(string id, bool delete)
    {
        lock (_gate)
        {
            var version = (_entities.TryGetValue(id, out var current) ? current.Version : 0) + 1;
            _entities[id] = (version, delete);
            return delete ? EntityChange.Delete(entityType, id, version) : EntityChange.Upsert(entityType, id, new ItemPayload(version, ItemPayload.Published), version);
        }
    }

    /// <summary>Gets each id's final state: its latest version, or that it is deleted.</summary>
    public IReadOnlyDictionary<string, (long Version, bool Deleted)> Snapshot()
    {
        lock (_gate)
        {
            return new Dictionary<string, (long, bool)>(_entities, StringComparer.Ordinal);
        }
    }

    public async IAsyncEnumerable<EntityChange> ReadAllAsync(string entityType, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var change in Read(null))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return change;
        }
    }

    public async IAsyncEnumerable<EntityChange> ReadAsync(string entityType, IReadOnlyCollection<string> ids, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var change in Read(ids))
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return change;
        }
    }

    private List<EntityChange> Read(IReadOnlyCollection<string>? ids)
    {
        lock (_gate)
        {
            return [.. _entities
                .Where(e => !e.Value.Deleted && (ids is null || ids.Contains(e.Key)))
                .Select(e => EntityChange.Upsert(entityType, e.Key, new ItemPayload(e.Value.Version, ItemPayload.FromSource), e.Value.Version))];
        }
    }
}
