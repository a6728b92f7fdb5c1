using Commerce.Jobs.Runners;
using Commerce.Jobs.Scheduling;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>Checks one job's settings at start-up; every message names the job and the setting.</summary>
internal sealed class JobOptionsValidator(JobRegistry registry) : IValidateOptions<JobOptions>
{
    /// <summary>The longest interval (about ten years): a longer one would reach past the last instant a clock can tell.</summary>
    private static readonly TimeSpan MaxInterval = TimeSpan.FromDays(3_650);

    /// <summary>The longest max age and history retention (about a hundred years): "now" minus a longer one is before the first instant.</summary>
    private static readonly TimeSpan MaxAgeOrRetention = TimeSpan.FromDays(36_500);

    public ValidateOptionsResult Validate(string? name, JobOptions options)
    {
        if (name is null || !registry.Contains(name))
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = new List<string>();
        void Range<TValue>(string setting, TValue value, TValue min, TValue max)
            where TValue : IComparable<TValue>
        {
            if (value.CompareTo(min) < 0 || value.CompareTo(max) > 0)
            {
                errors.Add($"Job '{name}': {setting} must be between {min} and {max} (was {value}).");
            }
        }

        if (options.Interval is { } interval && interval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Job '{name}': Interval must be at least 00:00:01 (was {interval}).");
        }
        else if (options.Interval > MaxInterval)
        {
            errors.Add($"Job '{name}': Interval must be at most {MaxInterval} (was {options.Interval}).");
        }

        foreach (var time in JobSchedule.Split(options.DailyAt))
        {
            if (!Schedule.TryParseTimeOfDay(time, out _))
            {
                errors.Add($"Job '{name}': DailyAt '{time}' is not a time of day in HH:mm form (00:00 to 23:59).");
            }
        }

        if (options.TimeZone is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out _))
        {
            errors.Add($"Job '{name}': TimeZone '{zone}' is not a known time zone id (IANA, such as Europe/Berlin, or Windows).");
        }

        if (!string.IsNullOrWhiteSpace(options.Cron))
        {
            try
            {
                _ = Schedule.Cron(options.Cron);
            }
            catch (FormatException ex)
            {
                errors.Add($"Job '{name}': Cron {ex.Message}");
            }
        }

        foreach (var after in JobSchedule.Split(options.After))
        {
            if (!registry.Contains(after))
            {
                errors.Add($"Job '{name}': After names '{after}', which is not a registered job.");
            }
            else if (string.Equals(after, name, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"Job '{name}': After names the job itself.");
            }
        }

        Range(nameof(options.CleanupRunsPerDay), options.CleanupRunsPerDay, 0, 24);
        Range(nameof(options.MaxConcurrency), options.MaxConcurrency, 1, 1000);
        Range(nameof(options.MaxArchivedRuns), options.MaxArchivedRuns, 1, 100_000);
        Range(nameof(options.BatchSize), options.BatchSize, 1, 100_000);
        Range(nameof(options.MaxItemsToSkip), options.MaxItemsToSkip, 0, int.MaxValue);
        Range("RetryWindow.MaxRetries", options.RetryWindow.MaxRetries, 0, 100);
        Range("RetryWindow.Window", options.RetryWindow.Window, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1));

        // The delay is bounded by the window; against an invalid window that bound would only repeat the window's error.
        var windowValid = options.RetryWindow.Window >= TimeSpan.FromSeconds(1) && options.RetryWindow.Window <= TimeSpan.FromDays(1);
        Range("RetryWindow.BaseDelay", options.RetryWindow.BaseDelay, TimeSpan.FromMilliseconds(1), windowValid ? options.RetryWindow.Window : TimeSpan.FromDays(1));
        if (options.HistoryRetention <= TimeSpan.Zero)
        {
            errors.Add($"Job '{name}': HistoryRetention must be positive (was {options.HistoryRetention}).");
        }
        else if (options.HistoryRetention > MaxAgeOrRetention)
        {
            errors.Add($"Job '{name}': HistoryRetention must be at most {MaxAgeOrRetention} (was {options.HistoryRetention}).");
        }

        if (options.MaxAge is { } maxAge && maxAge <= TimeSpan.Zero)
        {
            errors.Add($"Job '{name}': MaxAge must be positive (was {maxAge}).");
        }
        else if (options.MaxAge > MaxAgeOrRetention)
        {
            errors.Add($"Job '{name}': MaxAge must be at most {MaxAgeOrRetention} (was {options.MaxAge}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
