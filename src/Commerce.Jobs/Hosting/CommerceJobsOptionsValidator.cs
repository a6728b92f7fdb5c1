using Commerce.Jobs.EntitySync;
using Commerce.Jobs.Records;
using Commerce.Jobs.Runners;
using Commerce.Jobs.Scheduling;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Commerce.Jobs;

/// <summary>
/// Checks the engine's settings and what spans jobs: record jobs complete and their services registered, targets known,
/// After chains without cycles, and no configuration for a job or target that is not declared.
/// </summary>
internal sealed class CommerceJobsOptionsValidator(
    JobRegistry registry,
    IServiceProviderIsService isService,
    IOptionsMonitor<JobOptions> jobOptions) : IValidateOptions<CommerceJobsOptions>
{
    public ValidateOptionsResult Validate(string? name, CommerceJobsOptions options)
    {
        var errors = new List<string>();
        if (options.MaxConcurrentRuns is < 1 or > 1024)
        {
            errors.Add($"CommerceJobs: MaxConcurrentRuns must be between 1 and 1024 (was {options.MaxConcurrentRuns}).");
        }

        if (options.ShutdownTimeout < TimeSpan.Zero)
        {
            errors.Add($"CommerceJobs: ShutdownTimeout must not be negative (was {options.ShutdownTimeout}).");
        }

        if (options.LeaseDuration < TimeSpan.FromSeconds(1))
        {
            errors.Add($"CommerceJobs: LeaseDuration must be at least 00:00:01 (was {options.LeaseDuration}).");
        }

        if (options.ControlRefreshInterval != Timeout.InfiniteTimeSpan && (options.ControlRefreshInterval < TimeSpan.FromSeconds(1) || options.ControlRefreshInterval > TimeSpan.FromDays(1)))
        {
            errors.Add($"CommerceJobs: ControlRefreshInterval must be between 00:00:01 and 1.00:00:00, or Timeout.InfiniteTimeSpan to read the operator state only at start (was {options.ControlRefreshInterval}).");
        }

        if (string.IsNullOrWhiteSpace(options.HostName))
        {
            errors.Add("CommerceJobs: HostName must not be empty.");
        }

        var after = new Dictionary<string, string[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var job in registry.Jobs)
        {
            errors.AddRange(job.Validate());
            errors.AddRange(job.ValidateServices(isService));
            foreach (var target in job.TargetNames)
            {
                if (!registry.Targets.ContainsKey(target))
                {
                    errors.Add($"Job '{job.Name}': DeliverTo names target '{target}', which is not registered.");
                }
            }

            JobOptions jobSettings;
            try
            {
                jobSettings = jobOptions.Get(job.Name);
            }
            catch (OptionsValidationException ex)
            {
                errors.AddRange(ex.Failures);
                continue;
            }

            after[job.Name] = JobSchedule.Split(jobSettings.After);

            // An inbox lease is renewed between batches: one batch with all its retries must fit well inside it,
            // or another host could take the records over while they are still being delivered.
            if (job.ReadsInbox && jobSettings.RetryWindow.Window * 2 > options.LeaseDuration)
            {
                errors.Add($"Job '{job.Name}': RetryWindow.Window ({jobSettings.RetryWindow.Window}) must be at most half of CommerceJobs:LeaseDuration ({options.LeaseDuration}) for a job that reads its inbox.");
            }
        }

        errors.AddRange(DeclaredTarget.Conflicts(registry));

        if (FindCycle(after) is { } cycle)
        {
            errors.Add($"Jobs {string.Join(" → ", cycle.Select(c => $"'{c}'"))} form a cycle of After schedules.");
        }

        if (registry.Configuration is { } configuration)
        {
            // A typo in a section name would otherwise leave that job (target) on its defaults, silently. Entity types
            // are not checked: a type may be configured at run time (IEntitySync.PutConfigurationAsync) and tuned here.
            var jobNames = registry.Jobs.Select(j => j.Name).ToList();
            var targetNames = registry.Targets.Keys
                .Concat(registry.Jobs.SelectMany(j => j.TargetKeys))
                .Distinct(StringComparer.OrdinalIgnoreCase)
                .ToList();
            Unknown(configuration, "Jobs", "job", jobNames, errors);
            Unknown(configuration, "Targets", "delivery target", targetNames, errors);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Unknown(Microsoft.Extensions.Configuration.IConfiguration configuration, string section, string what, List<string> declared, List<string> errors)
    {
        foreach (var child in configuration.GetSection(section).GetChildren())
        {
            if (!declared.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add($"CommerceJobs:{section}:{child.Key} configures a {what} that is not declared{ClosestName.Hint(child.Key, declared)}; fix the name or remove the section.");
            }
        }
    }

    /// <summary>Depth-first search for a cycle in "runs after" edges; returns it as a path that ends where it starts.</summary>
    internal static List<string>? FindCycle(IReadOnlyDictionary<string, string[]> after)
    {
        var state = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var path = new List<string>();

        List<string>? Visit(string job)
        {
            state[job] = 1;
            path.Add(job);
            foreach (var upstream in after.TryGetValue(job, out var ups) ? ups : [])
            {
                var s = state.GetValueOrDefault(upstream);
                if (s == 1)
                {
                    var start = path.FindIndex(p => string.Equals(p, upstream, StringComparison.OrdinalIgnoreCase));
                    return [.. path.Skip(start), upstream];
                }

                if (s == 0 && after.ContainsKey(upstream) && Visit(upstream) is { } found)
                {
                    return found;
                }
            }

            path.RemoveAt(path.Count - 1);
            state[job] = 2;
            return null;
        }

        foreach (var job in after.Keys.Order(StringComparer.OrdinalIgnoreCase))
        {
            if (state.GetValueOrDefault(job) == 0 && Visit(job) is { } cycle)
            {
                return cycle;
            }
        }

        return null;
    }
}
