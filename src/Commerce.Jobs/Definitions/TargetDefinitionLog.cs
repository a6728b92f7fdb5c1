using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.Definitions;

/// <summary>The log messages of run-time delivery-target definitions (<see cref="TargetDefinitionService"/>).</summary>
internal static partial class TargetDefinitionLog
{
    [LoggerMessage(80, LogLevel.Information, "Target {Target}: health settings changed by {Actor}: {Fields}")]
    public static partial void Changed(ILogger logger, string target, string actor, string fields);

    [LoggerMessage(81, LogLevel.Warning, "The stored definition of delivery target {Target} is ignored: no target of that name is declared here (the entry is kept)")]
    public static partial void UnknownTarget(ILogger logger, string target);

    [LoggerMessage(82, LogLevel.Warning, "Target {Target}: the stored override of {Field} ({Value}) is ignored, it no longer validates: {Error} The declared value {Declared} is used")]
    public static partial void OverrideIgnored(ILogger logger, string target, string field, string? value, string error, string? declared);

    [LoggerMessage(83, LogLevel.Error, "Target {Target}: the reloaded configuration is refused and the running health settings kept: {Errors}")]
    public static partial void ReloadRefused(ILogger logger, string target, string errors);

    [LoggerMessage(84, LogLevel.Information, "Target {Target}: the reloaded configuration is in force")]
    public static partial void Reloaded(ILogger logger, string target);

    [LoggerMessage(85, LogLevel.Error, "The stored delivery-target definitions could not be read or applied; the targets keep the health settings they have")]
    public static partial void NotRestored(ILogger logger, Exception exception);

    [LoggerMessage(86, LogLevel.Error, "Target {Target}: the stored definition could not be put in force; the target keeps the health settings it has")]
    public static partial void NotApplied(ILogger logger, string target, Exception exception);
}
