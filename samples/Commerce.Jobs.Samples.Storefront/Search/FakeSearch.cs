namespace Commerce.Jobs.Samples.Storefront.Search;

/// <summary>
/// The search service, simulated: the named delivery target <c>search</c>. Entity sync delivers categories and stock
/// levels to it as <see cref="EntityChange"/>s, which it applies the way a search service with external versioning
/// would (a newer version replaces the document, a delete removes it); the rebuild-search-index job sends it product
/// documents. It counts every change it receives per entity, so the sample can show what a pause consolidated.
/// </summary>
public sealed class FakeSearch : IDeliveryTarget
{
    private readonly Lock _gate = new();
    private readonly Dictionary<(string Type, string Id), SearchEntry> _entities = [];
    private readonly Dictionary<(string Type, string Id), int> _received = [];
    private readonly Dictionary<string, object?> _documents = new(StringComparer.Ordinal);
    private long _changes;

    /// <inheritdoc />
    public string Name => "search";

    /// <summary>Gets how many entity changes were received, duplicates and repairs included.</summary>
    public long ChangesReceived => Interlocked.Read(ref _changes);

    /// <summary>Gets how many other documents (products) are indexed.</summary>
    public int DocumentCount
    {
        get
        {
            lock (_gate)
            {
                return _documents.Count;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask<DeliveryResult> DeliverAsync<T>(DeliveryBatch<T> batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        cancellationToken.ThrowIfCancellationRequested();
        var records = batch.Records.Span;
        lock (_gate)
        {
            for (var i = 0; i < records.Length; i++)
            {
                if (records[i] is EntityChange change)
                {
                    Apply(change);
                }
                else
                {
                    _documents[batch.GetIdempotencyKey(i)] = records[i];
                }
            }
        }

        return ValueTask.FromResult(DeliveryResult.Delivered);
    }

    /// <summary>Gets how many changes of one entity the search service received (upserts and deletes, repairs included).</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="id">The entity's id.</param>
    /// <returns>The count.</returns>
    public int Received(string entityType, string id)
    {
        lock (_gate)
        {
            return _received.GetValueOrDefault((entityType, id));
        }
    }

    /// <summary>Gets what the search service holds for one entity.</summary>
    /// <param name="entityType">The entity type.</param>
    /// <param name="id">The entity's id.</param>
    /// <returns>The indexed state, or <see langword="null"/> when it never received the entity.</returns>
    public SearchEntry? Find(string entityType, string id)
    {
        lock (_gate)
        {
            return _entities.GetValueOrDefault((entityType, id));
        }
    }

    /// <summary>Gets whether the search service holds an entity exactly as a change of the storefront says: the same version and state, or deleted.</summary>
    /// <param name="latest">The entity's latest change in the storefront.</param>
    /// <returns>Whether search is current for the entity.</returns>
    public bool IsCurrent(EntityChange latest)
    {
        ArgumentNullException.ThrowIfNull(latest);
        var entry = Find(latest.EntityType, latest.Id);
        return latest.Kind == EntityChangeKind.Delete
            ? entry is null || entry.Deleted
            : entry is { Deleted: false } && entry.Version == latest.Version && Equals(entry.Document, latest.Payload);
    }

    private void Apply(EntityChange change)
    {
        Interlocked.Increment(ref _changes);
        var key = (change.EntityType, change.Id);
        _received[key] = _received.GetValueOrDefault(key) + 1;

        // External versioning: an older version than the one indexed is ignored (entity sync never sends one anyway).
        if (_entities.TryGetValue(key, out var entry) && entry.Version > change.Version)
        {
            return;
        }

        _entities[key] = new SearchEntry(change.Kind == EntityChangeKind.Delete ? null : change.Payload, change.Version, change.Kind == EntityChangeKind.Delete);
    }
}
