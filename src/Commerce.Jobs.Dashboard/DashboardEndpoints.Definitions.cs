using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Net.Http.Headers;

namespace Commerce.Jobs.Dashboard;

/// <summary>
/// The run-time definitions part of the management API (<see cref="IJobDefinitions"/>): read a job's effective
/// definition with its <c>ETag</c>, change some of its fields, reset it to what was declared.
/// </summary>
internal static partial class DashboardEndpoints
{
    /// <summary>The largest definition body read: every field with a long value fits many times over.</summary>
    internal const int MaxDefinitionBodyBytes = 64 * 1024;

    /// <summary>The longest field name a refusal repeats (a hostile one may be huge).</summary>
    private const int MaxShownFieldName = 200;

    public static void MapDefinitions(RouteGroupBuilder api, RouteGroupBuilder commands)
    {
        api.MapGet("/jobs/{name}/definition", static (string name, HttpContext context) =>
            ForJob(name, () => Definition(context, Definitions(context).Get(name))));

        commands.MapPut("/jobs/{name}/definition", static async Task<IResult> (string name, HttpContext context) =>
        {
            var definitions = Definitions(context);
            EffectiveJobDefinition current;
            try
            {
                current = definitions.Get(name);
            }
            catch (ArgumentException ex) when (ex.ParamName == "jobName")
            {
                return JobNotFound(name);
            }

            var (fields, error) = await ReadDefinitionFieldsAsync(context, "Job", current.JobName, JobDefinitionFields.All).ConfigureAwait(false);
            if (error is not null)
            {
                return error;
            }

            return await ChangeAsync(context, current, "change definition of", (expected, actor, ct) => definitions.UpdateAsync(current.JobName, fields!, expected, actor, ct)).ConfigureAwait(false);
        });

        commands.MapDelete("/jobs/{name}/definition", static async Task<IResult> (string name, HttpContext context) =>
        {
            var definitions = Definitions(context);
            EffectiveJobDefinition current;
            try
            {
                current = definitions.Get(name);
            }
            catch (ArgumentException ex) when (ex.ParamName == "jobName")
            {
                return JobNotFound(name);
            }

            return await ChangeAsync(context, current, "reset definition of", (expected, actor, ct) => definitions.ResetAsync(current.JobName, expected, actor, ct)).ConfigureAwait(false);
        });
    }

    /// <summary>Checks <c>If-Match</c>, makes the change as the signed-in user, and answers the new definition (or 400 / 412).</summary>
    private static async Task<IResult> ChangeAsync(
        HttpContext context,
        EffectiveJobDefinition current,
        string action,
        Func<string?, string?, CancellationToken, ValueTask<EffectiveJobDefinition>> change)
    {
        if (!TryGetExpectedVersion(context, current, out var expected))
        {
            return BadRequest("If-Match must be '*' or one or more quoted entity tags, as an ETag of GET api/jobs/{name}/definition.");
        }

        EffectiveJobDefinition changed;
        try
        {
            changed = await change(expected, Actor(context), context.RequestAborted).ConfigureAwait(false);
        }
        catch (JobDefinitionConflictException ex)
        {
            return TypedResults.Problem(ex.Message, statusCode: StatusCodes.Status412PreconditionFailed, title: "The definition changed meanwhile");
        }
        catch (JobDefinitionValidationException ex)
        {
            return DefinitionRefused(ex.JobName, string.Join(" ", ex.Errors), ex.FieldErrors);
        }

        DashboardLog.Action(context, action, changed.JobName);
        return Definition(context, changed);
    }

    /// <summary>
    /// The version an <c>If-Match</c> header asks for: none (no header, or <c>*</c> — the job exists), the current one when
    /// one of its strong tags is that, else its first tag (refused as stale). False when the header does not parse.
    /// </summary>
    private static bool TryGetExpectedVersion(HttpContext context, EffectiveJobDefinition current, out string? expected)
    {
        expected = null;
        var header = context.Request.Headers.IfMatch;
        if (header.Count == 0 || (header.Count == 1 && string.IsNullOrWhiteSpace(header[0])))
        {
            return true;
        }

        if (!EntityTagHeaderValue.TryParseStrictList(header, out var tags) || tags.Count == 0)
        {
            return false;
        }

        if (tags.Any(t => t.Equals(EntityTagHeaderValue.Any)))
        {
            return true;
        }

        // If-Match compares strongly: a weak tag never matches, so it is passed on as stale.
        var match = tags.FirstOrDefault(t => !t.IsWeak && t.Tag.Subsegment(1, t.Tag.Length - 2).Equals(current.Version, StringComparison.Ordinal));
        var tag = match ?? tags[0];
        expected = match is null ? $"{(tag.IsWeak ? "W/" : string.Empty)}{tag.Tag}" : current.Version;
        return true;
    }

    /// <summary>
    /// Reads a PUT body: a JSON object of field → value, at most <see cref="MaxDefinitionBodyBytes"/>. A value is a string,
    /// <see langword="null"/> (reset the field), a number (its JSON text, as written: <c>500</c>) or <c>true</c> / <c>false</c>.
    /// Refusals name the <paramref name="subject"/> (<c>Job</c>, <c>Target</c>) and its <paramref name="name"/>.
    /// </summary>
    private static async ValueTask<(Dictionary<string, string?>? Fields, IResult? Error)> ReadDefinitionFieldsAsync(HttpContext context, string subject, string name, IReadOnlyList<string> known)
    {
        if (!context.Request.HasJsonContentType())
        {
            return (null, TypedResults.Problem("The body must be JSON (Content-Type: application/json).", statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type"));
        }

        var tooLarge = $"The body must be a JSON object of at most {MaxDefinitionBodyBytes / 1024} KiB.";
        if (context.Request.ContentLength > MaxDefinitionBodyBytes)
        {
            return (null, BadRequest(tooLarge));
        }

        var buffer = ArrayPool<byte>.Shared.Rent(MaxDefinitionBodyBytes + 1);
        try
        {
            var length = 0;
            int read;
            while (length <= MaxDefinitionBodyBytes
                   && (read = await context.Request.Body.ReadAsync(buffer.AsMemory(length, MaxDefinitionBodyBytes + 1 - length), context.RequestAborted).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            if (length > MaxDefinitionBodyBytes)
            {
                return (null, BadRequest(tooLarge));
            }

            // A leading UTF-8 byte order mark (some clients write one) is not part of the JSON.
            var body = buffer.AsMemory(0, length);
            return ParseDefinitionFields(body.Span.StartsWith("\uFEFF"u8) ? body[3..] : body, subject, name, known);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static (Dictionary<string, string?>? Fields, IResult? Error) ParseDefinitionFields(ReadOnlyMemory<byte> body, string subject, string subjectName, IReadOnlyList<string> known)
    {
        try
        {
            using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return (null, BadRequest($"The body must be a JSON object of field → value; it was {Describe(document.RootElement.ValueKind)}."));
            }

            var fields = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            var errors = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                var name = property.Name;
                var shown = name.Length > MaxShownFieldName ? string.Concat(name.AsSpan(0, MaxShownFieldName), "…") : name;
                string? value;
                switch (property.Value.ValueKind)
                {
                    case JsonValueKind.String:
                        value = property.Value.GetString();
                        break;
                    case JsonValueKind.Null:
                        value = null;
                        break;
                    case JsonValueKind.Number:
                        value = property.Value.GetRawText();
                        break;
                    case JsonValueKind.True:
                        value = "true";
                        break;
                    case JsonValueKind.False:
                        value = "false";
                        break;
                    default:
                        errors[shown] = [$"{subject} '{subjectName}': {shown} must be text, a number, true, false or null (null resets it); it was {Describe(property.Value.ValueKind)}."];
                        continue;
                }

                if (!fields.TryAdd(name, value))
                {
                    errors[shown] = [$"{subject} '{subjectName}': {shown} is named more than once in the body."];
                }
            }

            if (errors.Count > 0)
            {
                return (null, DefinitionRefused(subjectName, string.Join(" ", errors.Values.SelectMany(e => e)), errors));
            }

            return fields.Count == 0
                ? (null, BadRequest($"The body names no field; name at least one of {string.Join(", ", known)} (DELETE resets them all)."))
                : (fields, null);
        }
        catch (JsonException ex)
        {
            return (null, BadRequest($"The body is not valid JSON: {ex.Message}"));
        }
        catch (InvalidOperationException)
        {
            // Text that is not valid UTF-8 or UTF-16 (a lone surrogate, escaped or not) cannot become a string.
            return (null, BadRequest("The body holds text that is not valid Unicode."));
        }
        catch (ArgumentException)
        {
            // Invalid UTF-8 the parser reports while reading.
            return (null, BadRequest("The body holds text that is not valid Unicode."));
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "true or false",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    /// <summary>The definition and its version as the <c>ETag</c> header (quoted, as HTTP requires).</summary>
    private static JsonHttpResult<DefinitionView> Definition(HttpContext context, EffectiveJobDefinition definition)
    {
        var monitor = context.RequestServices.GetRequiredService<IJobMonitor>();
        var zone = definition.Fields.FirstOrDefault(f => f.Name == JobDefinitionFields.TimeZone)?.Value;
        var view = DefinitionView.From(definition, zone ?? GetTime(context).LocalTimeZone.Id, monitor.GetStatus(definition.JobName).NextFireTime);
        context.Response.Headers.ETag = ETag(definition.Version);
        return Json(view);
    }

    /// <summary>A 400 problem response whose <c>errors</c> holds the messages per field (the empty key: those of no single field).</summary>
    private static JsonHttpResult<DefinitionProblem> DefinitionRefused(string jobName, string detail, IReadOnlyDictionary<string, IReadOnlyList<string>> errors) =>
        TypedResults.Json(
            new DefinitionProblem(
                "https://tools.ietf.org/html/rfc9110#section-15.5.1",
                "The definition was not changed",
                StatusCodes.Status400BadRequest,
                detail,
                jobName,
                errors),
            DashboardJson.Options,
            contentType: "application/problem+json",
            statusCode: StatusCodes.Status400BadRequest);

    private static IJobDefinitions Definitions(HttpContext context) => context.RequestServices.GetRequiredService<IJobDefinitions>();
}

/// <summary>A job's effective definition as the API shows it: each field's value, source and declared value, by name.</summary>
/// <param name="JobName">The job's name.</param>
/// <param name="Version">The version, also the <c>ETag</c> (unquoted here).</param>
/// <param name="ChangedAt">When the run-time overrides last changed.</param>
/// <param name="ChangedBy">Who made that change.</param>
/// <param name="TimeZone">The zone daily times and cron are read in: the job's <c>TimeZone</c>, else the server's.</param>
/// <param name="NextRun">The job's next scheduled run.</param>
/// <param name="Fields">Every field, in the order of <see cref="JobDefinitionFields.All"/>.</param>
internal sealed record DefinitionView(
    string JobName,
    string Version,
    DateTimeOffset? ChangedAt,
    string? ChangedBy,
    string TimeZone,
    DateTimeOffset? NextRun,
    IReadOnlyDictionary<string, DefinitionFieldView> Fields)
{
    public static DefinitionView From(EffectiveJobDefinition definition, string timeZone, DateTimeOffset? nextRun)
    {
        var fields = new Dictionary<string, DefinitionFieldView>(definition.Fields.Count, StringComparer.Ordinal);
        foreach (var field in definition.Fields)
        {
            fields[field.Name] = new DefinitionFieldView(field.Value, field.Source, field.DeclaredValue);
        }

        return new DefinitionView(definition.JobName, definition.Version, definition.ChangedAt, definition.ChangedBy, timeZone, nextRun, fields);
    }
}

/// <summary>One field of a definition.</summary>
internal sealed record DefinitionFieldView(string? Value, JobDefinitionSource Source, string? DeclaredValue);

/// <summary>A refused definition change (RFC 9457 problem details): <c>errors</c> holds the messages per field.</summary>
internal sealed record DefinitionProblem(string Type, string Title, int Status, string Detail, string JobName, IReadOnlyDictionary<string, IReadOnlyList<string>> Errors);
