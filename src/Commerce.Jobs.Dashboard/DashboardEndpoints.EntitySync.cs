using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Dashboard;

/// <summary>The entity-sync part of the management API: configurations, pause / resume, full and targeted syncs, status.</summary>
internal static partial class DashboardEndpoints
{
    private const int MaxSyncIds = 1000;

    public static void MapEntitySync(RouteGroupBuilder api, RouteGroupBuilder commands)
    {
        api.MapGet("/entity-sync", static async Task<IResult> (HttpContext context, CancellationToken cancellationToken) =>
        {
            if (context.RequestServices.GetService<IEntitySync>() is not { } sync)
            {
                return Json(new EntitySyncOverview([], []));
            }

            var configurations = await sync.GetConfigurationsAsync(cancellationToken).ConfigureAwait(false);
            return Json(new EntitySyncOverview(configurations, sync.GetStatuses()));
        });

        api.MapGet("/entity-sync/{type}", static (string type, HttpContext context) =>
            ForEntityType(context, type, static (sync, configuration, _) => ValueTask.FromResult<IResult>(Json(configuration))));

        api.MapGet("/entity-sync/{type}/status", static (string type, HttpContext context) =>
            ForEntityType(context, type, static (sync, configuration, _) => ValueTask.FromResult<IResult>(Json(sync.GetStatus(configuration.EntityType)))));

        commands.MapPut("/entity-sync/{type}", static async Task<IResult> (string type, HttpContext context) =>
        {
            if (context.RequestServices.GetService<IEntitySync>() is not { } sync)
            {
                return EntitySyncNotConfigured();
            }

            var (body, error) = await ReadBodyAsync<EntitySyncConfigurationBody>(context).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            if (body!.EntityType is { } named && !string.Equals(named, type, StringComparison.OrdinalIgnoreCase))
            {
                return BadRequest($"The body names entity type '{named}' but the address names '{type}'; leave 'entityType' out or make them match.");
            }

            if (body.Targets is null || body.Targets.Count == 0 || body.Targets.Any(string.IsNullOrWhiteSpace))
            {
                return BadRequest($"Entity sync '{type}': 'targets' must list at least one target name, with no empty names.");
            }

            var configuration = new EntitySyncConfiguration
            {
                EntityType = type,
                Targets = [.. body.Targets!],
                Enabled = body.Enabled ?? true,
                IncrementalSync = body.IncrementalSync ?? true,
                Paused = body.Paused ?? false,
                BatchSize = body.BatchSize,
                MaxItemsToSkip = body.MaxItemsToSkip,
                MaxRetries = body.MaxRetries,
                RetryWindow = body.RetryWindow,
                RetrySkippedAfter = body.RetrySkippedAfter,
            };
            try
            {
                await sync.PutConfigurationAsync(configuration, Actor(context), context.RequestAborted).ConfigureAwait(false);
            }
            catch (ArgumentException ex) when (ex.ParamName == "configuration")
            {
                return BadRequest(ex.Message);
            }

            DashboardLog.Action(context, "put entity sync configuration", type);
            return Json(await sync.GetConfigurationAsync(type, context.RequestAborted).ConfigureAwait(false) ?? configuration);
        });

        commands.MapDelete("/entity-sync/{type}", static async Task<IResult> (string type, HttpContext context) =>
        {
            if (context.RequestServices.GetService<IEntitySync>() is not { } sync)
            {
                return EntitySyncNotConfigured();
            }

            if (!await sync.DeleteConfigurationAsync(type, Actor(context), context.RequestAborted).ConfigureAwait(false))
            {
                return EntityTypeNotFound(type);
            }

            DashboardLog.Action(context, "delete entity sync configuration", type);
            return TypedResults.NoContent();
        });

        commands.MapPost("/entity-sync/{type}/pause", static (string type, HttpContext context) =>
            ForEntityType(context, type, static async (sync, configuration, context) =>
            {
                await sync.PauseAsync(configuration.EntityType, Actor(context), context.RequestAborted).ConfigureAwait(false);
                DashboardLog.Action(context, "pause entity sync", configuration.EntityType);
                return Json(sync.GetStatus(configuration.EntityType));
            }));

        commands.MapPost("/entity-sync/{type}/resume", static (string type, HttpContext context) =>
            ForEntityType(context, type, static async (sync, configuration, context) =>
            {
                await sync.ResumeAsync(configuration.EntityType, Actor(context), context.RequestAborted).ConfigureAwait(false);
                DashboardLog.Action(context, "resume entity sync", configuration.EntityType);
                return Json(sync.GetStatus(configuration.EntityType));
            }));

        commands.MapPost("/entity-sync/pause-all", static (HttpContext context, CancellationToken cancellationToken) => ForAllEntityTypes(context, "pause all entity sync", static (sync, actor, ct) => sync.PauseAllAsync(actor, ct)));
        commands.MapPost("/entity-sync/resume-all", static (HttpContext context, CancellationToken cancellationToken) => ForAllEntityTypes(context, "resume all entity sync", static (sync, actor, ct) => sync.ResumeAllAsync(actor, ct)));

        commands.MapPost("/entity-sync/{type}/full-sync", static (string type, HttpContext context) =>
            ForEntityType(context, type, static async (sync, configuration, context) =>
            {
                await sync.StartFullSyncAsync(configuration.EntityType, context.RequestAborted).ConfigureAwait(false);
                DashboardLog.Action(context, "start full sync", configuration.EntityType);
                return TypedResults.Json(sync.GetStatus(configuration.EntityType), DashboardJson.Options, statusCode: StatusCodes.Status202Accepted);
            },
            requiresEnabled: true));

        commands.MapPost("/entity-sync/{type}/sync", static (string type, HttpContext context) =>
            ForEntityType(context, type, static async (sync, configuration, context) =>
            {
                var (body, error) = await ReadBodyAsync<SyncIdsBody>(context).ConfigureAwait(false);
                if (error is not null)
                {
                    return error;
                }

                var ids = body!.Ids?.Where(id => !string.IsNullOrWhiteSpace(id)).Select(id => id!.Trim()).Distinct(StringComparer.Ordinal).ToList();
                if (ids is null || ids.Count == 0 || ids.Count > MaxSyncIds)
                {
                    return BadRequest($"'ids' must list 1 to {MaxSyncIds} entity ids to sync.");
                }

                var queued = await sync.SyncIdsAsync(configuration.EntityType, ids, context.RequestAborted).ConfigureAwait(false);
                DashboardLog.Action(context, $"sync {ids.Count} ids of", configuration.EntityType);
                return TypedResults.Json(new SyncIdsAccepted(configuration.EntityType, ids.Count, queued), DashboardJson.Options, statusCode: StatusCodes.Status202Accepted);
            },
            requiresEnabled: true));
    }

    private static async Task<IResult> ForEntityType(HttpContext context, string type, Func<IEntitySync, EntitySyncConfiguration, HttpContext, ValueTask<IResult>> action, bool requiresEnabled = false)
    {
        if (context.RequestServices.GetService<IEntitySync>() is not { } sync)
        {
            return EntitySyncNotConfigured();
        }

        if (await sync.GetConfigurationAsync(type, context.RequestAborted).ConfigureAwait(false) is not { } configuration)
        {
            return EntityTypeNotFound(type);
        }

        if (!configuration.Enabled && requiresEnabled)
        {
            return Conflict($"Entity sync '{configuration.EntityType}' is disabled; enable it (PUT its configuration with \"enabled\": true) first.");
        }

        // Anything else thrown (by the host's entity source, say) is the host's error: a 500 from its error handling,
        // never a 4xx that blames the caller, nor its message echoed to the caller.
        return await action(sync, configuration, context).ConfigureAwait(false);
    }

    private static async Task<IResult> ForAllEntityTypes(HttpContext context, string action, Func<IEntitySync, string?, CancellationToken, ValueTask> apply)
    {
        if (context.RequestServices.GetService<IEntitySync>() is not { } sync)
        {
            return EntitySyncNotConfigured();
        }

        await apply(sync, Actor(context), context.RequestAborted).ConfigureAwait(false);
        DashboardLog.Action(context, action, "types");
        return Json(sync.GetStatuses());
    }

    private static async ValueTask<(T? Body, IResult? Error)> ReadBodyAsync<T>(HttpContext context)
        where T : class
    {
        if (!context.Request.HasJsonContentType())
        {
            return (null, TypedResults.Problem("The body must be JSON (Content-Type: application/json).", statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type"));
        }

        try
        {
            var body = await context.Request.ReadFromJsonAsync<T>(DashboardJson.Options, context.RequestAborted).ConfigureAwait(false);
            return body is null ? (null, BadRequest("The body is empty; a JSON object is expected.")) : (body, null);
        }
        catch (JsonException ex)
        {
            return (null, BadRequest($"The body is not valid JSON for this request: {ex.Message}"));
        }
    }

    private static ProblemHttpResult EntitySyncNotConfigured() =>
        NotFound("Entity sync is not configured in this host (jobs.AddEntitySync declares it).", "Entity sync not configured");

    private static ProblemHttpResult EntityTypeNotFound(string type) =>
        NotFound($"No entity sync is configured for '{type}'.", "Entity type not found");
}
