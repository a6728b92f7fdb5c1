using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Definitions;

/// <summary>The log messages of run-time job definitions.</summary>
internal static partial class DefinitionLog
{
    [LoggerMessage(60, LogLevel.Information, "Job {Job}: definition changed by {Actor}: {Fields}")]
    public static partial void Changed(ILogger logger, string job, string actor, string fields);

    [LoggerMessage(61, LogLevel.Warning, "The stored definition of job {Job} is ignored: no job of that name is registered here (the entry is kept)")]
    public static partial void UnknownJob(ILogger logger, string job);

    [LoggerMessage(62, LogLevel.Warning, "Job {Job}: the stored override of {Field} ({Value}) is ignored, it no longer validates: {Error} The declared value {Declared} is used")]
    public static partial void OverrideIgnored(ILogger logger, string job, string field, string? value, string error, string? declared);

    [LoggerMessage(63, LogLevel.Error, "Job {Job}: the reloaded configuration is refused and the running definition kept: {Errors}")]
    public static partial void ReloadRefused(ILogger logger, string job, string errors);

    [LoggerMessage(64, LogLevel.Information, "Job {Job}: the reloaded configuration is in force")]
    public static partial void Reloaded(ILogger logger, string job);

    [LoggerMessage(65, LogLevel.Error, "The stored job definitions could not be read or applied; the jobs keep the definitions they have")]
    public static partial void NotRestored(ILogger logger, Exception exception);

    [LoggerMessage(66, LogLevel.Error, "Job {Job}: the stored definition could not be put in force; the job keeps the definition it has")]
    public static partial void NotApplied(ILogger logger, string job, Exception exception);
}
