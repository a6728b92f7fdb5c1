using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Commerce.Jobs.Dashboard;

/// <summary>The page and the jobs part of the management API.</summary>
internal static partial class DashboardEndpoints
{
    private const double MaxWaitSeconds = 300;
    private const int MaxChanges = 100;
    private const int DefaultJobsPerPage = 500;
    private const int MaxJobsPerPage = 5000;

    public static void MapPage(RouteGroupBuilder group)
    {
        group.MapGet("/", static (HttpContext context) =>
        {
            // The page's links are relative: "/jobs" must become "/jobs/" for them to resolve under the prefix.
            var path = context.Request.Path.Value ?? string.Empty;
            return path.EndsWith('/')
                ? DashboardAssets.Serve(context, "index.html")
                : TypedResults.Redirect($"{context.Request.PathBase}{path}/{context.Request.QueryString}");
        });
        group.MapGet("/dashboard.js", static (HttpContext context) => DashboardAssets.Serve(context, "dashboard.js"));
        group.MapGet("/dashboard.css", static (HttpContext context) => DashboardAssets.Serve(context, "dashboard.css"));
    }

    public static void MapJobs(RouteGroupBuilder api, RouteGroupBuilder commands, string prefix, CommerceJobsDashboardOptions options)
    {
        var tracker = new RunTracker();
        var maxRuns = options.MaxRunsPerRequest;
        var session = (Title: options.Title, RefreshMs: options.RefreshInterval.TotalMilliseconds, Antiforgery: options.RequireAntiforgeryToken);

        api.MapGet("/dashboard", (HttpContext context) =>
        {
            string? header = null, token = null;
            if (session.Antiforgery)
            {
                var tokens = context.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(context);
                (header, token) = (tokens.HeaderName, tokens.RequestToken);
            }

            var entitySync = context.RequestServices.GetService<IEntitySync>() is not null;
            return Json(new DashboardSession(session.Title, session.RefreshMs, header, token, entitySync));
        });

        api.MapGet("/jobs", static (string? search, string? state, int? offset, int? limit, IJobMonitor monitor, HttpContext context) =>
        {
            var skip = offset ?? 0;
            var take = limit ?? DefaultJobsPerPage;
            if (skip < 0 || take < 1 || take > MaxJobsPerPage)
            {
                return (IResult)BadRequest($"'offset' must be 0 or more and 'limit' between 1 and {MaxJobsPerPage}; they were {skip} and {take}.");
            }

            JobState? wanted = null;
            if (!string.IsNullOrEmpty(state))
            {
                if (!Enum.TryParse<JobState>(state, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed))
                {
                    return BadRequest($"'state' must be one of {string.Join(", ", Enum.GetNames<JobState>())}; it was '{state}'.");
                }

                wanted = parsed;
            }

            var matching = monitor.GetStatuses()
                .Where(j => (search is null || j.JobName.Contains(search, StringComparison.OrdinalIgnoreCase)) && (wanted is null || j.State == wanted))
                .ToList();
            return Json(new JobsOverview(
                GetTime(context).GetUtcNow(),
                matching.Count,
                skip,
                [.. matching.Skip(skip).Take(take).Select(JobSummary.From)],
                monitor.GetTargetHealth()));
        });

        api.MapGet("/targets", static (IJobMonitor monitor) => Json(monitor.GetTargetHealth()));

        api.MapGet("/jobs/{name}", static (string name, IJobMonitor monitor) =>
            ForJob(name, () => Json(JobSummary.From(monitor.GetStatus(name)))));

        api.MapGet("/jobs/{name}/runs", async Task<IResult> (string name, int? limit, IJobMonitor monitor, CancellationToken cancellationToken) =>
        {
            var count = limit ?? 20;
            if (count < 1 || count > maxRuns)
            {
                return BadRequest($"'limit' must be between 1 and {maxRuns}; it was {count}.");
            }

            return await ForJobAsync(name, async () =>
            {
                var runs = await monitor.GetRunsAsync(name, count, cancellationToken).ConfigureAwait(false);
                return (IResult)Json(runs.Select(r => RunSummary.From(r, includeLog: true)).ToList());
            }).ConfigureAwait(false);
        });

        api.MapGet("/jobs/{name}/runs/{runId:guid}", (string name, Guid runId, IJobMonitor monitor, CancellationToken cancellationToken) =>
            ForJobAsync(name, async () =>
            {
                var runs = await monitor.GetRunsAsync(name, Math.Max(maxRuns, 1000), cancellationToken).ConfigureAwait(false);
                if (runs.FirstOrDefault(r => r.RunId == runId) is { } run)
                {
                    return Json(RunSummary.From(run, includeLog: true));
                }

                if (tracker.TryGet(name, runId, out var dropped))
                {
                    return dropped is null
                        ? TypedResults.Json(new RunRequestStatus(name, runId, RunRequestStatus.Pending, monitor.GetStatus(name).State, null, null, null), DashboardJson.Options, statusCode: StatusCodes.Status202Accepted)
                        : TypedResults.Problem(dropped, statusCode: StatusCodes.Status410Gone, title: "The run never ran");
                }

                return NotFound($"Job '{name}' has no run {runId}: not started here, or no longer in its kept history.", "Run not found");
            }));

        commands.MapPost("/jobs/{name}/run", async Task<IResult> (string name, double? wait, HttpContext context, IJobRunner runner, IJobMonitor monitor) =>
        {
            if (wait is < 0 or > MaxWaitSeconds || (wait is { } w && !double.IsFinite(w)))
            {
                return BadRequest($"'wait' is the number of seconds to wait for the run to finish, 0 to {MaxWaitSeconds}; it was {wait}.");
            }

            JobRunHandle handle;
            try
            {
                handle = runner.Enqueue(name, null);
            }
            catch (ArgumentException ex) when (ex.ParamName == "jobName")
            {
                return JobNotFound(name);
            }
            catch (InvalidOperationException ex)
            {
                // The engine's own refusals: disabled, stopping, too many runs waiting.
                return Conflict(ex.Message);
            }

            tracker.Track(handle);
            DashboardLog.Action(context, "run now", handle.JobName);
            if (wait is > 0)
            {
                try
                {
                    await handle.Completion.WaitAsync(TimeSpan.FromSeconds(wait.Value), GetTime(context), context.RequestAborted).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Still pending: the caller polls the run's address.
                }
                catch (InvalidOperationException ex)
                {
                    // The run was dropped before it started (the job was disabled, or the engine stopped).
                    return Conflict(ex.Message);
                }
            }

            // 200 answers a caller who waited for the outcome; a caller who did not always gets 202 and the run's address,
            // even when a quick run has already finished (its status then says so).
            var status = RunRequestStatus.For(handle, monitor.GetStatus(handle.JobName).State);
            if (wait is > 0 && status.Status == RunRequestStatus.Finished)
            {
                return Json(status);
            }

            var location = $"{context.Request.PathBase}{prefix}/api/jobs/{Uri.EscapeDataString(handle.JobName)}/runs/{handle.RunId}";
            return TypedResults.Json(status, DashboardJson.Options, statusCode: StatusCodes.Status202Accepted).WithLocation(location);
        });

        MapJobCommand(commands, "pause", static (control, name, actor) => control.Pause(name, actor));
        MapJobCommand(commands, "resume", static (control, name, actor) => control.Resume(name, actor));
        MapJobCommand(commands, "enable", static (control, name, actor) => control.Enable(name, actor));
        MapJobCommand(commands, "disable", static (control, name, actor) => control.Disable(name, actor));

        // The job's audit trail: its controls and definition changes, newest first, with who, when and old → new.
        api.MapGet("/jobs/{name}/changes", async Task<IResult> (string name, int? limit, IJobMonitor monitor, CancellationToken cancellationToken) =>
        {
            var count = limit ?? 20;
            if (count < 1 || count > MaxChanges)
            {
                return BadRequest($"'limit' must be between 1 and {MaxChanges}; it was {count}.");
            }

            return await ForJobAsync(name, async () => Json(await monitor.GetChangesAsync(name, count, cancellationToken).ConfigureAwait(false))).ConfigureAwait(false);
        });
    }

    /// <summary>The authenticated user's name, kept in the audit trail as who made a change; <see langword="null"/> when anonymous.</summary>
    private static string? Actor(HttpContext context) => context.User.Identity is { IsAuthenticated: true } identity ? identity.Name : null;

    private static void MapJobCommand(RouteGroupBuilder commands, string action, Action<IJobControl, string, string?> apply) =>
        commands.MapPost($"/jobs/{{name}}/{action}", (string name, HttpContext context, IJobControl control, IJobMonitor monitor) => ForJob(name, () =>
        {
            apply(control, name, Actor(context));
            DashboardLog.Action(context, action, name);
            return Json(JobSummary.From(monitor.GetStatus(name)));
        }));

    private static IResult ForJob(string name, Func<IResult> action)
    {
        try
        {
            return action();
        }
        catch (ArgumentException ex) when (ex.ParamName == "jobName")
        {
            return JobNotFound(name);
        }
    }

    private static async Task<IResult> ForJobAsync(string name, Func<Task<IResult>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (ArgumentException ex) when (ex.ParamName == "jobName")
        {
            return JobNotFound(name);
        }
    }

    private static TimeProvider GetTime(HttpContext context) => context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System;

    private static JsonHttpResult<T> Json<T>(T value) => TypedResults.Json(value, DashboardJson.Options);

    private static ProblemHttpResult JobNotFound(string name) => NotFound($"No job named '{name}' is registered.", "Job not found");

    private static ProblemHttpResult NotFound(string detail, string title) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status404NotFound, title: title);

    private static ProblemHttpResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "Invalid request");

    private static ProblemHttpResult Conflict(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status409Conflict, title: "Not possible now");
}

/// <summary>Adds a Location header to a result.</summary>
internal static class LocatedResultExtensions
{
    public static IResult WithLocation(this IResult result, string location) => new LocatedResult(result, location);

    private sealed class LocatedResult(IResult inner, string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.Location = location;
            return inner.ExecuteAsync(httpContext);
        }
    }
}
