using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Diagnostics;

/// <summary>The engine's log messages, source-generated, with structured fields (job, run id, trigger).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Job {Job} run {RunId} started ({Trigger})")]
    public static partial void RunStarted(ILogger logger, string job, Guid runId, TriggerKind trigger);

    [LoggerMessage(2, LogLevel.Information, "Job {Job} run {RunId} ({Trigger}) ended {Outcome} in {DurationMs} ms: read {Read}, delivered {Delivered}, skipped {Skipped}, failed {Failed}")]
    public static partial void RunEnded(ILogger logger, string job, Guid runId, TriggerKind trigger, JobOutcome outcome, double durationMs, long read, long delivered, long skipped, long failed);

    [LoggerMessage(3, LogLevel.Warning, "Job {Job} run {RunId} ({Trigger}) failed: {Error}")]
    public static partial void RunFailed(ILogger logger, string job, Guid runId, TriggerKind trigger, string? error, Exception? exception);

    [LoggerMessage(4, LogLevel.Error, "The failure notifier {Notifier} threw for job {Job} run {RunId}")]
    public static partial void NotifierFailed(ILogger logger, string notifier, string job, Guid runId, Exception exception);

    [LoggerMessage(5, LogLevel.Error, "The job store could not save run {RunId} of job {Job}")]
    public static partial void StoreFailed(ILogger logger, string job, Guid runId, Exception exception);

    [LoggerMessage(6, LogLevel.Information, "Commerce.Jobs started: {JobCount} jobs, {Workers} workers")]
    public static partial void EngineStarted(ILogger logger, int jobCount, int workers);

    [LoggerMessage(7, LogLevel.Warning, "Commerce.Jobs stopping: runs still in progress after {Timeout} are being cancelled")]
    public static partial void ShutdownTimedOut(ILogger logger, TimeSpan timeout);

    [LoggerMessage(8, LogLevel.Information, "Commerce.Jobs stopped")]
    public static partial void EngineStopped(ILogger logger);

    [LoggerMessage(30, LogLevel.Error, "A worker caught a fault outside the body of job {Job}; it goes on with the next run")]
    public static partial void WorkerFault(ILogger logger, string job, Exception exception);

    [LoggerMessage(31, LogLevel.Error, "Job {Job} run {RunId} did not stop within the shutdown timeout and its cancellation; it is abandoned (recorded Cancelled, its records stay pending)")]
    public static partial void RunAbandoned(ILogger logger, string job, Guid runId);

    [LoggerMessage(32, LogLevel.Error, "The scheduler could not fire or plan job {Job}; the other jobs go on")]
    public static partial void SchedulerFault(ILogger logger, string job, Exception exception);

    [LoggerMessage(33, LogLevel.Error, "Commerce.Jobs stopping: {Part} did not stop within the shutdown timeout and a last second; it is no longer awaited")]
    public static partial void StopAbandoned(ILogger logger, string part);

    [LoggerMessage(34, LogLevel.Error, "Commerce.Jobs stopping: {Part} failed")]
    public static partial void StopFault(ILogger logger, string part, Exception exception);

    [LoggerMessage(9, LogLevel.Error, "Job {Job}: notified failure of run {RunId} on host {Host}: {Error}")]
    public static partial void FailureNotified(ILogger logger, string job, Guid runId, string host, string? error);

    [LoggerMessage(10, LogLevel.Error, "Delivery target {Target} is unhealthy; deliveries pause until {PausedUntil}. Last error: {Error}")]
    public static partial void TargetUnhealthy(ILogger logger, string target, DateTimeOffset? pausedUntil, string? error);

    [LoggerMessage(11, LogLevel.Error, "Job {Job}: the store could not claim the occurrence at {ScheduledTime}; it is skipped on this host")]
    public static partial void OccurrenceClaimFailed(ILogger logger, string job, DateTimeOffset scheduledTime, Exception exception);

    [LoggerMessage(12, LogLevel.Error, "The job store could not save the operator state (paused, disabled) of job {Job}; it holds here until the host restarts")]
    public static partial void ControlNotSaved(ILogger logger, string job, Exception exception);

    [LoggerMessage(13, LogLevel.Error, "The job store could not be read for the operator state of the jobs (paused, disabled); they start as declared")]
    public static partial void ControlsNotRestored(ILogger logger, Exception exception);

    [LoggerMessage(35, LogLevel.Error, "A notice about {Subject} was dropped: the notification queue is full ({Capacity} waiting) or closed")]
    public static partial void NotificationDropped(ILogger logger, string subject, int capacity);

    [LoggerMessage(36, LogLevel.Debug, "Job {Job}: a signal is ignored, its run on schedule is switched off")]
    public static partial void SignalIgnored(ILogger logger, string job);
}
