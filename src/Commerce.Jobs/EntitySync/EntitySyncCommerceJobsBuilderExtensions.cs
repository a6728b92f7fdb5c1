using Commerce.Jobs.EntitySync;

namespace Commerce.Jobs;

/// <summary>Declares entity synchronization on a <see cref="CommerceJobsBuilder"/>.</summary>
public static class EntitySyncCommerceJobsBuilderExtensions
{
    /// <summary>Declares the synchronization of an entity type: its changes, published through <see cref="IEntitySync"/>, are delivered to its targets.</summary>
    /// <param name="jobs">The builder.</param>
    /// <param name="entityType">The entity type (<c>categories</c>, <c>buyers</c>): 1 to 100 letters, digits, '-', '_' or '.'; unique (case-insensitive).</param>
    /// <returns>A builder for the type's targets, source and delivery settings.</returns>
    /// <exception cref="ArgumentException">The type is invalid or already declared.</exception>
    /// <example>
    /// <code>
    /// builder.Services.AddCommerceJobs(jobs =>
    /// {
    ///     jobs.AddTarget(searchTarget);
    ///     jobs.AddTarget(erpTarget);
    ///     jobs.AddEntitySync("categories")
    ///         .DeliverTo("search", "erp")
    ///         .ReadFrom&lt;CatalogCategories&gt;()
    ///         .Batch(size: 500)
    ///         .RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(60));
    /// });
    /// </code>
    /// </example>
    public static EntitySyncBuilder AddEntitySync(this CommerceJobsBuilder jobs, string entityType)
    {
        ArgumentNullException.ThrowIfNull(jobs);
        ArgumentNullException.ThrowIfNull(entityType);
        var registry = EntitySyncServices.TryAdd(jobs.Services);
        return new EntitySyncBuilder(jobs.Services, registry.Add(entityType));
    }
}
