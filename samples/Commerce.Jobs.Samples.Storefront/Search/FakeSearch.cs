using System.Text.Json;
using System.Text.Json.Serialization;
using Commerce.Jobs.Samples.Storefront.Integration;
using Commerce.Jobs.Samples.Storefront.Shop;
using Commerce.Jobs.Samples.Storefront.Simulation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Samples.Storefront.Search;

/// <summary>
/// The search service, simulated: a bulk ingestion API served over real HTTP by Kestrel on 127.0.0.1 and a free port
/// (<c>POST /indexes/catalog/docs/bulk</c>, API key in the <c>api-key</c> header). The library's search ingestion target
/// <c>search</c> posts to it: entity sync's categories and stock levels as upserts and deletes, which it applies the way
/// a search service with external versioning would (a newer version replaces the document, a delete removes it), and the
/// rebuild-search-index job's product documents. It counts every change it receives per entity, so the sample can show
/// what a pause consolidated. Unlike the ERP it never misbehaves, so the counts are exact.
/// </summary>
public sealed class FakeSearch : IAsyncDisposable
{
    /// <summary>The API key the search service accepts.</summary>
    public const string ApiKey = "sample-search-key";

    /// <summary>The bulk ingestion path, relative to <see cref="BaseAddress"/>.</summary>
    public const string BulkPath = "indexes/catalog/docs/bulk";

    private readonly Lock _gate = new();
    private readonly Dictionary<(string Type, string Id), SearchEntry> _entities = [];
    private readonly Dictionary<(string Type, string Id), int> _received = [];
    private readonly Dictionary<string, object?> _documents = new(StringComparer.Ordinal);
    private WebApplication? _app;
    private long _changes;

    private FakeSearch()
    {
    }

    /// <summary>Gets the address the search service listens on.</summary>
    public Uri BaseAddress { get; private set; } = null!;

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

    /// <summary>Starts the search service on 127.0.0.1 and a free port.</summary>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running search service.</returns>
    public static async Task<FakeSearch> StartAsync(CancellationToken cancellationToken)
    {
        var search = new FakeSearch();
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders().AddCompactConsole().SetMinimumLevel(LogLevel.Warning);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, SearchJson.Default));
        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.MapPost("/" + BulkPath, (BulkRequest request, HttpContext context) =>
            context.Request.Headers["api-key"] != ApiKey
                ? Results.StatusCode(StatusCodes.Status401Unauthorized)
                : search.Ingest(request));
        await app.StartAsync(cancellationToken);

        // Port 0 asks the OS for a free port; Urls holds the address actually bound once the server runs.
        search.BaseAddress = new Uri(app.Urls.First().TrimEnd('/') + "/");
        search._app = app;
        return search;
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

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>Reads a document as the storefront type its entity type (or job) stands for, so it compares equal to the storefront's own.</summary>
    private static object? ReadDocument(string type, JsonElement? document) => document is not { ValueKind: JsonValueKind.Object } json
        ? null
        : type switch
        {
            "categories" => json.Deserialize(SearchJson.Default.Category),
            "inventory" => json.Deserialize(SearchJson.Default.InventoryLevel),
            "rebuild-search-index" => json.Deserialize(SearchJson.Default.ProductDocument),
            _ => json.Clone(),
        };

    private IResult Ingest(BulkRequest request)
    {
        lock (_gate)
        {
            foreach (var operation in request.Operations)
            {
                // An entity change's key is "{type}:{id}:{version}"; a product document's "rebuild-search-index:{sku}".
                var key = operation.IdempotencyKey;
                var first = key.IndexOf(':', StringComparison.Ordinal);
                var last = key.LastIndexOf(':');
                var type = first > 0 ? key[..first] : request.Job;
                if (first > 0 && last > first && long.TryParse(key.AsSpan(last + 1), out var version))
                {
                    Apply(type, operation.Id, version, operation.Action == "delete", ReadDocument(type, operation.Document));
                }
                else
                {
                    _documents[key] = ReadDocument(request.Job, operation.Document);
                }
            }
        }

        return Results.Ok();
    }

    private void Apply(string type, string id, long version, bool delete, object? document)
    {
        Interlocked.Increment(ref _changes);
        var key = (type, id);
        _received[key] = _received.GetValueOrDefault(key) + 1;

        // External versioning: an older version than the one indexed is ignored (entity sync never sends one anyway).
        if (_entities.TryGetValue(key, out var entry) && entry.Version > version)
        {
            return;
        }

        _entities[key] = new SearchEntry(delete ? null : document, version, delete);
    }
}

/// <summary>A bulk ingestion request, as the search ingestion target posts it.</summary>
/// <param name="Job">The job (or entity type) that delivers the batch.</param>
/// <param name="IdempotencyKey">The batch's key.</param>
/// <param name="Operations">The operations, in order.</param>
public sealed record BulkRequest(string Job, string IdempotencyKey, IReadOnlyList<BulkOperation> Operations);

/// <summary>One operation of a bulk request: an upsert of a document or a delete of an id.</summary>
/// <param name="Action"><c>upsert</c> or <c>delete</c>.</param>
/// <param name="Id">The document's id.</param>
/// <param name="IdempotencyKey">The record's key: <c>{type}:{id}:{version}</c> for an entity change.</param>
/// <param name="Document">The document of an upsert.</param>
public sealed record BulkOperation(string Action, string Id, string IdempotencyKey, JsonElement? Document);

/// <summary>The JSON (web defaults: camelCase) of the search API, source-generated.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(BulkRequest))]
[JsonSerializable(typeof(Category))]
[JsonSerializable(typeof(InventoryLevel))]
[JsonSerializable(typeof(ProductDocument))]
public sealed partial class SearchJson : JsonSerializerContext;
