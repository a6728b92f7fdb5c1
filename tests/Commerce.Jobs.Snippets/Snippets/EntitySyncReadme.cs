namespace Commerce.Jobs.Snippets.EntitySyncReadme;

#region entitysync-publish
public sealed class CatalogMaintenance(IEntitySync entitySync)
{
    public async Task SaveAsync(Category c, CancellationToken ct)
        => await entitySync.PublishAsync(EntityChange.Upsert("categories", c.Id, c, c.Version), ct);

    public async Task DeleteAsync(Category c, CancellationToken ct)
        => await entitySync.PublishAsync(EntityChange.Delete("categories", c.Id, c.Version + 1), ct);

    public async Task ReorganizeAsync(IReadOnlyList<Category> changed, CancellationToken ct)
    {
        await entitySync.PauseAsync("categories", ct);
        foreach (var c in changed)       // a hundred edits of one category…
        {
            await entitySync.PublishAsync(EntityChange.Upsert("categories", c.Id, c, c.Version), ct);
        }

        await entitySync.ResumeAsync("categories", ct);   // …become one delivery of its latest version
    }
}
#endregion

public static class EntitySyncSnippets
{
    public static void Declare(WebApplicationBuilder builder, IConfiguration config)
    {
        #region entitysync-declare
        builder.Services.AddCommerceJobs(jobs =>
        {
            jobs.AddHttpTarget("search", http => http.Endpoint = new Uri(config["Search:Url"]!));
            jobs.AddHttpTarget("erp", http => http.Endpoint = new Uri(config["Erp:Url"]!));

            jobs.AddEntitySync("categories")
                .DeliverTo("search", "erp")                 // each target progresses on its own
                .ReadFrom<CatalogCategories>()             // IEntitySource, for full and targeted syncs
                .Batch(size: 500, maxItemsToSkip: 100)
                .RetryWithin(maxRetries: 3, window: TimeSpan.FromSeconds(60));
        });
        #endregion
    }

    public static async Task Runtime(IEntitySync entitySync, CancellationToken ct)
    {
        #region entitysync-runtime
        var categories = await entitySync.GetConfigurationAsync("categories", ct);
        await entitySync.PutConfigurationAsync(categories! with { Targets = ["search", "erp", "archive"] }, ct);
        await entitySync.StartFullSyncAsync("categories", ct);            // fill the new target
        foreach (var s in entitySync.GetStatus("categories"))
        {
            Console.WriteLine($"{s.TargetName}: {s.PendingCount} pending, v{s.LastDeliveredVersion}, paused since {s.PausedSince}, {s.LastError}");
        }
        #endregion
    }
}
