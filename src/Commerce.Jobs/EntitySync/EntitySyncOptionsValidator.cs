using Commerce.Jobs.Runners;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs.EntitySync;

/// <summary>
/// Binds each entity type's options from <c>CommerceJobs:EntitySync:{entity type}</c> after the code's settings (so
/// configuration wins), then checks them and, for a type declared in code, its targets; every message names the type
/// and the setting.
/// </summary>
internal sealed class EntitySyncOptionsValidator(EntitySyncRegistry declarations, JobRegistry registry) : IPostConfigureOptions<EntitySyncOptions>, IValidateOptions<EntitySyncOptions>
{
    public void PostConfigure(string? name, EntitySyncOptions options)
    {
        if (!string.IsNullOrEmpty(name) && registry.Configuration is { } configuration)
        {
            configuration.GetSection("EntitySync").GetSection(name).Bind(options);
        }
    }

    public ValidateOptionsResult Validate(string? name, EntitySyncOptions options)
    {
        if (string.IsNullOrEmpty(name))
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = new List<string>();
        void Range<TValue>(string setting, TValue value, TValue min, TValue max)
            where TValue : IComparable<TValue>
        {
            if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
            {
                errors.Add($"Entity sync '{name}': {setting} must be between {min} and {max} (was {value}).");
            }
        }

        Range(nameof(options.BatchSize), options.BatchSize, 1, EntitySyncDefaults.MaxBatchSize);
        Range(nameof(options.MaxItemsToSkip), options.MaxItemsToSkip, 0, int.MaxValue);
        Range("RetryWindow.MaxRetries", options.RetryWindow.MaxRetries, 0, 100);
        Range("RetryWindow.Window", options.RetryWindow.Window, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Range("RetryWindow.BaseDelay", options.RetryWindow.BaseDelay, TimeSpan.FromMilliseconds(1), options.RetryWindow.Window > TimeSpan.FromMilliseconds(1) ? options.RetryWindow.Window : TimeSpan.FromMilliseconds(1));
        Range(nameof(options.RetrySkippedAfter), options.RetrySkippedAfter, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));
        Range(nameof(options.PollInterval), options.PollInterval, TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        if (options.TombstoneRetention <= TimeSpan.Zero)
        {
            errors.Add($"Entity sync '{name}': {nameof(options.TombstoneRetention)} must be greater than zero (was {options.TombstoneRetention}).");
        }

        if (declarations.TryGet(name, out var declared))
        {
            errors.AddRange(EntitySyncService.ValidateConfiguration(declared.Configuration, registry));
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
