using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace Commerce.Jobs.Dashboard;

/// <summary>
/// The delivery-target definitions part of the management API (<see cref="IJobDefinitions.GetTarget"/>): a target's
/// health settings, each with its source; changed with <c>PUT</c> (the fields given; a field set to <see langword="null"/>
/// goes back to its declared value) and reset with <c>DELETE</c>. The definition's version is its <c>ETag</c>; a change
/// with a stale <c>If-Match</c> is refused (412), an invalid one answered with a 400 problem listing the messages.
/// </summary>
internal static partial class DashboardEndpoints
{
    public static void MapTargetDefinitions(RouteGroupBuilder api, RouteGroupBuilder commands)
    {
        api.MapGet("/targets/{name}/definition", static (string name, HttpContext context) =>
            ForTargetDefinition(context, name, static (definitions, name, _, _) => ValueTask.FromResult(definitions.GetTarget(name))));

        commands.MapPut("/targets/{name}/definition", static async Task<IResult> (string name, HttpContext context) =>
        {
            var (fields, error) = await ReadDefinitionFieldsAsync(context).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            return await ForTargetDefinition(context, name, async (definitions, name, version, context) =>
            {
                var changed = await definitions.UpdateTargetAsync(name, fields!, version, context.User.Identity?.Name, context.RequestAborted).ConfigureAwait(false);
                DashboardLog.Action(context, "change the health settings of target", changed.JobName);
                return changed;
            }).ConfigureAwait(false);
        });

        commands.MapDelete("/targets/{name}/definition", static (string name, HttpContext context) =>
            ForTargetDefinition(context, name, static async (definitions, name, version, context) =>
            {
                var reset = await definitions.ResetTargetAsync(name, version, context.User.Identity?.Name, context.RequestAborted).ConfigureAwait(false);
                DashboardLog.Action(context, "reset the health settings of target", reset.JobName);
                return reset;
            }));
    }

    /// <summary>Runs a target-definition call and answers it: the definition with its <c>ETag</c>, or 404, 412 or 400.</summary>
    private static async Task<IResult> ForTargetDefinition(HttpContext context, string name, Func<IJobDefinitions, string, string?, HttpContext, ValueTask<EffectiveJobDefinition>> call)
    {
        if (context.RequestServices.GetService<IJobDefinitions>() is not { } definitions)
        {
            return NotFound("Run-time definitions are not available in this host.", "Definitions not available");
        }

        EffectiveJobDefinition definition;
        try
        {
            definition = await call(definitions, name, IfMatch(context), context).ConfigureAwait(false);
        }
        catch (ArgumentException ex) when (ex.ParamName == "targetName")
        {
            return NotFound($"No delivery target named '{name}' is declared.", "Target not found");
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

        context.Response.Headers.ETag = ETag(definition.Version);
        return Json(new TargetDefinition(definition.JobName, definition.Version, definition.Fields, definition.ChangedAt, definition.ChangedBy));
    }

    /// <summary>The version an <c>If-Match</c> header asks for; <see langword="null"/> when there is none or it is <c>*</c>.</summary>
    private static string? IfMatch(HttpContext context)
    {
        var header = context.Request.Headers.IfMatch;
        if (header.Count == 0 || !EntityTagHeaderValue.TryParseList(header, out var tags) || tags.Count == 0 || tags.Any(t => t.Equals(EntityTagHeaderValue.Any)))
        {
            // An If-Match that does not parse matches no version: refused as stale rather than ignored.
            return header.Count == 0 || header.ToString().Trim() == "*" ? null : header.ToString();
        }

        var tag = tags[0].Tag.Value ?? string.Empty;
        return tag.Length >= 2 && tag[0] == '"' && tag[^1] == '"' ? tag[1..^1] : tag;
    }

    private static string ETag(string version) => $"\"{version}\"";

    /// <summary>Reads a JSON object of fields: a string, number or true / false sets a field (as text), <see langword="null"/> resets it.</summary>
    private static async ValueTask<(IReadOnlyDictionary<string, string?>? Fields, IResult? Error)> ReadDefinitionFieldsAsync(HttpContext context)
    {
        var (body, error) = await ReadBodyAsync<Dictionary<string, JsonElement>>(context).ConfigureAwait(false);
        if (error is not null)
        {
            return (null, error);
        }

        if (body!.Count == 0)
        {
            return (null, BadRequest($"The body names no setting to change; give one or more of {string.Join(", ", TargetDefinitionFields.All)}."));
        }

        var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (field, value) in body)
        {
            switch (value.ValueKind)
            {
                case JsonValueKind.String when TryGetString(value, out var text):
                    fields[field] = text;
                    break;
                case JsonValueKind.Number:
                    fields[field] = value.GetRawText();
                    break;
                case JsonValueKind.True or JsonValueKind.False:
                    fields[field] = value.ValueKind == JsonValueKind.True ? "true" : "false";
                    break;
                case JsonValueKind.Null:
                    fields[field] = null;
                    break;
                default:
                    return (null, BadRequest($"'{Capped(field)}' must be a string of valid text, a number, true / false, or null to reset it; it was {value.ValueKind}."));
            }
        }

        return (fields, null);
    }

    /// <summary>A JSON string's text; <see langword="false"/> for one that is not valid UTF-16 (a lone surrogate escaped).</summary>
    private static bool TryGetString(JsonElement value, out string? text)
    {
        try
        {
            text = value.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            text = null;
            return false;
        }
    }

    private static string Capped(string text) => text.Length <= 100 ? text : string.Concat(text.AsSpan(0, 100), "…");

    /// <summary>A delivery target's health settings as the management API shows them.</summary>
    private sealed record TargetDefinition(string TargetName, string Version, IReadOnlyList<JobDefinitionField> Fields, DateTimeOffset? ChangedAt, string? ChangedBy);
}
