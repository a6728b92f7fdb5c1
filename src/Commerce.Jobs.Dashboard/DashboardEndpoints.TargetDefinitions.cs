using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace Commerce.Jobs.Dashboard;

/// <summary>
/// The delivery-target definitions part of the management API (<see cref="IJobDefinitions.GetTarget"/>): a target's
/// health settings, each with its source; changed with <c>PUT</c> (the fields given; a field set to <see langword="null"/>
/// goes back to its declared value) and reset with <c>DELETE</c>. The definition's version is its <c>ETag</c>; a change
/// with a stale <c>If-Match</c> is refused (412), an invalid one answered with a 400 problem listing the messages. The
/// body and <c>If-Match</c> are read as for a job's definition.
/// </summary>
internal static partial class DashboardEndpoints
{
    public static void MapTargetDefinitions(RouteGroupBuilder api, RouteGroupBuilder commands)
    {
        api.MapGet("/targets/{name}/definition", static (string name, HttpContext context) =>
            TryGetTarget(context, name, out var current, out var missing) ? TargetDefinitionResult(context, current) : missing);

        commands.MapPut("/targets/{name}/definition", static async Task<IResult> (string name, HttpContext context) =>
        {
            if (!TryGetTarget(context, name, out var current, out var missing))
            {
                return missing;
            }

            var (fields, error) = await ReadDefinitionFieldsAsync(context, "Target", current.JobName, TargetDefinitionFields.All).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            return await ChangeTargetAsync(context, current, "change the health settings of target", (expected, actor, ct) => Definitions(context).UpdateTargetAsync(current.JobName, fields!, expected, actor, ct)).ConfigureAwait(false);
        });

        commands.MapDelete("/targets/{name}/definition", static (string name, HttpContext context) =>
            TryGetTarget(context, name, out var current, out var missing)
                ? ChangeTargetAsync(context, current, "reset the health settings of target", (expected, actor, ct) => Definitions(context).ResetTargetAsync(current.JobName, expected, actor, ct))
                : Task.FromResult(missing));
    }

    /// <summary>The target's definition in force, or a 404 for an undeclared target.</summary>
    private static bool TryGetTarget(HttpContext context, string name, out EffectiveJobDefinition current, out IResult missing)
    {
        try
        {
            current = Definitions(context).GetTarget(name);
            missing = null!;
            return true;
        }
        catch (ArgumentException ex) when (ex.ParamName == "targetName")
        {
            current = null!;
            missing = NotFound($"No delivery target named '{name}' is declared.", "Target not found");
            return false;
        }
    }

    /// <summary>Checks <c>If-Match</c>, makes the change as the signed-in user, and answers the new definition (or 400 / 412).</summary>
    private static async Task<IResult> ChangeTargetAsync(
        HttpContext context,
        EffectiveJobDefinition current,
        string action,
        Func<string?, string?, CancellationToken, ValueTask<EffectiveJobDefinition>> change)
    {
        if (!TryGetExpectedVersion(context, current, out var expected))
        {
            return BadRequest("If-Match must be '*' or one or more quoted entity tags, as an ETag of GET api/targets/{name}/definition.");
        }

        EffectiveJobDefinition changed;
        try
        {
            changed = await change(expected, Actor(context), context.RequestAborted).ConfigureAwait(false);
        }
        catch (JobDefinitionConflictException ex)
        {
            context.Response.Headers.ETag = ETag(ex.CurrentVersion);
            return TypedResults.Problem(
                $"Target '{ex.JobName}': the health settings changed since version {ex.ExpectedVersion} (they are at {ex.CurrentVersion}); read them again and retry.",
                statusCode: StatusCodes.Status412PreconditionFailed,
                title: "The definition changed");
        }
        catch (JobDefinitionValidationException ex)
        {
            return TypedResults.Problem(
                string.Join(" ", ex.Errors),
                statusCode: StatusCodes.Status400BadRequest,
                title: "Invalid definition",
                extensions: new Dictionary<string, object?> { ["errors"] = ex.Errors });
        }

        DashboardLog.Action(context, action, changed.JobName);
        return TargetDefinitionResult(context, changed);
    }

    /// <summary>The definition and its version as the <c>ETag</c> header.</summary>
    private static JsonHttpResult<TargetDefinition> TargetDefinitionResult(HttpContext context, EffectiveJobDefinition definition)
    {
        context.Response.Headers.ETag = ETag(definition.Version);
        return Json(new TargetDefinition(definition.JobName, definition.Version, definition.Fields, definition.ChangedAt, definition.ChangedBy));
    }

    private static string ETag(string version) => $"\"{version}\"";

    /// <summary>A delivery target's health settings as the management API shows them.</summary>
    private sealed record TargetDefinition(string TargetName, string Version, IReadOnlyList<JobDefinitionField> Fields, DateTimeOffset? ChangedAt, string? ChangedBy);
}
