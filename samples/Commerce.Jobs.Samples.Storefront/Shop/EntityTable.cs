namespace Commerce.Jobs.Samples.Storefront.Shop;

/// <summary>
/// An entity table of the cart (categories, inventory levels), simulated as a host would keep it in its database: every
/// write gives the entity the table's next version (a row version), and returns the <see cref="EntityChange"/> the host
/// publishes through <see cref="IEntitySync"/>. A deleted entity keeps a tombstone with its delete's version.
/// </summary>
/// <typeparam name="T">The entity.</typeparam>
/// <param name="entityType">The entity type its changes are published as (<c>categories</c>, <c>inventory</c>).</param>
/// <param name="id">Gives an entity's id.</param>
public sealed class EntityTable<T>(string entityType, Func<T, string> id)
    where T : class
{
    private readonly Dictionary<string, Row> _rows = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private long _version;
    private long _changes;

    /// <summary>Gets the entity type the table's changes are published as.</summary>
    public string EntityType { get; } = entityType;

    /// <summary>Gets how many changes were made (upserts and deletes).</summary>
    public long Changes => Interlocked.Read(ref _changes);

    /// <summary>Gets the entities as they are now (deleted ones left out).</summary>
    public IReadOnlyList<T> Current
    {
        get
        {
            lock (_gate)
            {
                return [.. _rows.Values.Where(r => r.Entity is not null).Select(r => r.Entity!)];
            }
        }
    }

    /// <summary>Gets an entity as it is now.</summary>
    /// <param name="entityId">The entity's id.</param>
    /// <returns>The entity, or <see langword="null"/> when it does not exist (or was deleted).</returns>
    public T? Find(string entityId)
    {
        lock (_gate)
        {
            return _rows.TryGetValue(entityId, out var row) ? row.Entity : null;
        }
    }

    /// <summary>Gets every row as its latest change: an upsert for each entity, a delete for each tombstone.</summary>
    /// <returns>The changes, in id order.</returns>
    public IReadOnlyList<EntityChange> Snapshot()
    {
        lock (_gate)
        {
            return [.. _rows.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => ToChange(r.Key, r.Value))];
        }
    }

    /// <summary>Gets one row as its latest change.</summary>
    /// <param name="entityId">The entity's id.</param>
    /// <returns>An upsert, a delete for a tombstone, or <see langword="null"/> for an id the table never had.</returns>
    public EntityChange? Read(string entityId)
    {
        lock (_gate)
        {
            return _rows.TryGetValue(entityId, out var row) ? ToChange(entityId, row) : null;
        }
    }

    /// <summary>Adds or replaces an entity.</summary>
    /// <param name="entity">The entity's new state.</param>
    /// <returns>The change to publish.</returns>
    public EntityChange Upsert(T entity)
    {
        ArgumentNullException.ThrowIfNull(entity);
        lock (_gate)
        {
            return Write(id(entity), entity);
        }
    }

    /// <summary>Changes an entity atomically (read, modify, write).</summary>
    /// <param name="entityId">The entity's id.</param>
    /// <param name="change">Gives the new state from the current one (<see langword="null"/> if there is none).</param>
    /// <returns>The change to publish.</returns>
    public EntityChange Update(string entityId, Func<T?, T> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            var entity = change(_rows.TryGetValue(entityId, out var row) ? row.Entity : null);
            return Write(entityId, entity);
        }
    }

    /// <summary>Deletes an entity; its tombstone's version is higher than any version it had.</summary>
    /// <param name="entityId">The entity's id.</param>
    /// <returns>The change to publish, or <see langword="null"/> when there was no such entity.</returns>
    public EntityChange? Delete(string entityId)
    {
        lock (_gate)
        {
            if (!_rows.TryGetValue(entityId, out var row) || row.Entity is null)
            {
                return null;
            }

            return Write(entityId, null);
        }
    }

    private EntityChange Write(string entityId, T? entity)
    {
        Interlocked.Increment(ref _changes);
        var row = new Row(entity, ++_version);
        _rows[entityId] = row;
        return ToChange(entityId, row);
    }

    private EntityChange ToChange(string entityId, Row row) => row.Entity is { } entity
        ? EntityChange.Upsert(EntityType, entityId, entity, row.Version)
        : EntityChange.Delete(EntityType, entityId, row.Version);

    private sealed record Row(T? Entity, long Version);
}
