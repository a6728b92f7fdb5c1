namespace Commerce.Jobs.Dashboard;

/// <summary>One job as the API lists it.</summary>
internal sealed record JobSummary(
    string Name,
    JobState State,
    string Schedule,
    DateTimeOffset? NextRun,
    RunSummary? LastRun,
    int ConsecutiveFailures,
    long RunCount,
    RecordCounts TotalCounts)
{
    public static JobSummary From(JobStatus status) => new(
        status.JobName,
        status.State,
        status.Schedule,
        status.NextFireTime,
        status.LastRun is { } run ? RunSummary.From(run, includeLog: false) : null,
        status.ConsecutiveFailures,
        status.RunCount,
        status.TotalCounts);
}

/// <summary>One finished run; its log when asked for.</summary>
internal sealed record RunSummary(
    Guid RunId,
    string JobName,
    TriggerKind Trigger,
    JobOutcome Outcome,
    DateTimeOffset StartedAt,
    DateTimeOffset EndedAt,
    double DurationMs,
    RecordCounts Counts,
    string? Error,
    string HostName,
    IReadOnlyList<JobLogEntry>? Log)
{
    public static RunSummary From(JobRun run, bool includeLog) => new(
        run.RunId,
        run.JobName,
        run.Trigger,
        run.Outcome,
        run.StartedAt,
        run.EndedAt,
        run.Duration.TotalMilliseconds,
        run.Counts,
        run.Error,
        run.HostName,
        includeLog ? run.Log : null);
}

/// <summary>
/// The answer to "run now" and to polling a run that has not ended: its id, <c>Pending</c> or <c>Finished</c>, the
/// job's state (a paused job holds the run), and the result once finished.
/// </summary>
internal sealed record RunRequestStatus(string JobName, Guid RunId, string Status, JobState JobState, JobOutcome? Outcome, RecordCounts? Counts, string? Error)
{
    public const string Pending = "Pending";
    public const string Finished = "Finished";

    public static RunRequestStatus For(JobRunHandle handle, JobState jobState) =>
        handle.Completion.IsCompletedSuccessfully && handle.Completion.Result is { } result
            ? new(handle.JobName, handle.RunId, Finished, jobState, result.Outcome, result.Counts, result.Error)
            : new(handle.JobName, handle.RunId, Pending, jobState, null, null, null);
}

/// <summary>The overview: one page of the jobs that match (of <c>Total</c>, from <c>Offset</c>) and every target's health.</summary>
internal sealed record JobsOverview(DateTimeOffset ServerTime, int Total, int Offset, IReadOnlyList<JobSummary> Jobs, IReadOnlyList<TargetHealth> Targets);

/// <summary>What the page needs before its first request: title, refresh interval and the antiforgery header.</summary>
internal sealed record DashboardSession(string Title, double RefreshIntervalMs, string? AntiforgeryHeaderName, string? AntiforgeryToken, bool EntitySync);

/// <summary>Entity synchronization at a glance: every configuration and every (type, target) status.</summary>
internal sealed record EntitySyncOverview(IReadOnlyList<EntitySyncConfiguration> Configurations, IReadOnlyList<EntitySyncStatus> Statuses);

/// <summary>A configuration as a PUT body: every field optional so that a missing one is a 400 naming it, not a parse error; a delivery setting left out or null is as declared.</summary>
internal sealed record EntitySyncConfigurationBody(string? EntityType, IReadOnlyList<string?>? Targets, bool? Enabled, bool? IncrementalSync, bool? Paused, int? BatchSize = null, int? MaxItemsToSkip = null, int? MaxRetries = null, TimeSpan? RetryWindow = null, TimeSpan? RetrySkippedAfter = null);

/// <summary>A targeted sync request.</summary>
internal sealed record SyncIdsBody(IReadOnlyList<string?>? Ids);

/// <summary>The answer to a targeted sync.</summary>
internal sealed record SyncIdsAccepted(string EntityType, int Requested, int Queued);
