using Microsoft.Extensions.Logging;

namespace Commerce.Jobs.EntitySync;

/// <summary>Entity synchronization's log messages, source-generated, with structured fields (entity type, target).</summary>
internal static partial class EntitySyncLog
{
    [LoggerMessage(401, LogLevel.Warning, "Entity sync {EntityType} → {Target}: {Skipped} changes skipped, {Failed} rejected: {Error}")]
    public static partial void DeliveryFailed(ILogger logger, string entityType, string target, int skipped, int failed, string? error);

    [LoggerMessage(402, LogLevel.Warning, "Entity sync {EntityType} → {Target}: skipped {Skipped} changes, more than MaxItemsToSkip ({MaxItemsToSkip}); delivery waits")]
    public static partial void TooManySkips(ILogger logger, string entityType, string target, int skipped, int maxItemsToSkip);

    [LoggerMessage(403, LogLevel.Error, "Entity sync {EntityType} → {Target}: the job store failed")]
    public static partial void StoreFailed(ILogger logger, string entityType, string target, Exception exception);

    [LoggerMessage(405, LogLevel.Information, "Entity sync {EntityType} → {Target}: full sync started")]
    public static partial void FullSyncStarted(ILogger logger, string entityType, string target);

    [LoggerMessage(406, LogLevel.Information, "Entity sync {EntityType} → {Target}: full sync read to the end")]
    public static partial void FullSyncEnded(ILogger logger, string entityType, string target);

    [LoggerMessage(407, LogLevel.Warning, "Entity sync {EntityType} → {Target}: full sync failed")]
    public static partial void FullSyncFailed(ILogger logger, string entityType, string target, Exception exception);

    [LoggerMessage(408, LogLevel.Information, "Entity sync {EntityType}: configuration {Action}")]
    public static partial void ConfigurationChanged(ILogger logger, string entityType, string action);

    [LoggerMessage(409, LogLevel.Error, "Entity sync {EntityType}: the job store could not keep the configuration changed at run time; it holds here until the host restarts")]
    public static partial void ConfigurationNotSaved(ILogger logger, string entityType, Exception exception);

    [LoggerMessage(410, LogLevel.Error, "Entity sync: the job store could not be read for the configurations changed at run time; the declarations apply")]
    public static partial void ConfigurationsNotRestored(ILogger logger, Exception exception);

    [LoggerMessage(411, LogLevel.Warning, "Entity sync {EntityType}: the configuration changed at run time is not valid any more and is not restored ({Errors}); the declaration applies")]
    public static partial void ConfigurationNotRestored(ILogger logger, string entityType, string errors);

    [LoggerMessage(412, LogLevel.Information, "Entity sync {EntityType}: the configuration changed at run time ({ChangedAt}) applies instead of the declaration in code")]
    public static partial void DeclarationOverridden(ILogger logger, string entityType, DateTimeOffset changedAt);

    [LoggerMessage(413, LogLevel.Warning, "Entity sync {EntityType} → {Target}: a cancelled delivery did not end within {AbandonAfter}; it is abandoned and its changes stay held in the store")]
    public static partial void DeliveryAbandoned(ILogger logger, string entityType, string target, TimeSpan abandonAfter);

    [LoggerMessage(414, LogLevel.Error, "Entity sync: a refresh of the configurations changed at run time failed; the next one tries again")]
    public static partial void RefreshFailed(ILogger logger, Exception exception);

    [LoggerMessage(415, LogLevel.Error, "Entity sync {EntityType}: the configuration changed at run time ({ChangedAt}) could not be applied; the next refresh tries again")]
    public static partial void ConfigurationNotApplied(ILogger logger, string entityType, DateTimeOffset changedAt, Exception exception);

    [LoggerMessage(416, LogLevel.Warning, "Entity sync {EntityType}: the {Setting} changed at run time ({Value}) is ignored ({Reason}); the declared value {Declared} applies")]
    public static partial void SettingIgnored(ILogger logger, string entityType, string setting, string? value, string reason, string declared);
}
