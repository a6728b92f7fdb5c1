using System.Runtime.CompilerServices;
using Commerce.Jobs.Samples.Storefront.Shop;

namespace Commerce.Jobs.Samples.Storefront.Integration;

/// <summary>
/// The categories of the storefront's catalog, read for entity sync's full sync (<c>StartFullSyncAsync</c>) and targeted
/// sync (<c>SyncIdsAsync</c>): each category as an upsert at its current version, a deleted one as a delete.
/// </summary>
/// <param name="cart">The storefront.</param>
public sealed class CatalogCategories(Cart cart) : IEntitySource
{
    /// <inheritdoc />
    public async IAsyncEnumerable<EntityChange> ReadAllAsync(string entityType, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // A real source would page through its table; entity sync reads it a batch ahead of delivery.
        foreach (var change in cart.Categories.Snapshot().Where(c => c.Kind == EntityChangeKind.Upsert))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return change;
        }

        await Task.CompletedTask;
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<EntityChange> ReadAsync(string entityType, IReadOnlyCollection<string> ids, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        foreach (var id in ids)
        {
            cancellationToken.ThrowIfCancellationRequested();

            // A deleted category comes back as its delete (with its tombstone's version); an unknown id as nothing.
            if (cart.Categories.Read(id) is { } change)
            {
                yield return change;
            }
        }

        await Task.CompletedTask;
    }
}
